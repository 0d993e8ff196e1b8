//! The CMSDK APB UART of the MPS2 boards: UART0 is the MIDI port.

use core::convert::Infallible;
use core::ptr::{read_volatile, write_volatile};

const DATA: usize = 0x00;
const STATE: usize = 0x04;
const CTRL: usize = 0x08;
const BAUDDIV: usize = 0x10;

const STATE_TX_FULL: u32 = 1 << 0;
const STATE_RX_FULL: u32 = 1 << 1;
const CTRL_TX_EN: u32 = 1 << 0;
const CTRL_RX_EN: u32 = 1 << 1;

/// Enables transmit and receive of the CMSDK UART at `base` and splits it into its two
/// directions. `bauddiv` = peripheral clock / baud rate (the AN386's 25 MHz over MIDI's
/// 31,250 baud is 800, the AN505's 20 MHz 640).
///
/// # Safety
/// `base` must be a CMSDK UART that nothing else drives.
pub unsafe fn split(base: usize, bauddiv: u32) -> (UartTx, UartRx) {
    write_volatile((base + BAUDDIV) as *mut u32, bauddiv.max(16));
    write_volatile((base + CTRL) as *mut u32, CTRL_TX_EN | CTRL_RX_EN);
    (UartTx { base }, UartRx { base })
}

/// The transmitting half: the MIDI out port.
pub struct UartTx {
    base: usize,
}

/// The receiving half: any byte received is a button press.
pub struct UartRx {
    base: usize,
}

impl UartTx {
    fn reg(&self, offset: usize) -> *mut u32 {
        (self.base + offset) as *mut u32
    }

    /// Sends one byte, waiting while the transmit buffer is full.
    pub fn write_byte(&mut self, byte: u8) {
        // SAFETY: the registers of the UART this value owns.
        unsafe {
            while read_volatile(self.reg(STATE)) & STATE_TX_FULL != 0 {}
            write_volatile(self.reg(DATA), byte as u32);
        }
    }

}

impl UartRx {
    /// A received byte, if one is waiting.
    pub fn read_byte(&mut self) -> Option<u8> {
        // SAFETY: the receive side of the UART this value owns (reading DATA and STATE
        // does not disturb the transmitter).
        unsafe {
            if read_volatile((self.base + STATE) as *const u32) & STATE_RX_FULL != 0 {
                Some(read_volatile((self.base + DATA) as *const u32) as u8)
            } else {
                None
            }
        }
    }
}

/// A button made of the UART's receive line: each byte received holds it down (reads
/// low) for `hold` polls, long enough to pass the debouncer.
pub struct RxButton {
    pub rx: UartRx,
    pub hold: u8,
    left: u8,
}

impl RxButton {
    pub fn new(rx: UartRx, hold: u8) -> Self {
        RxButton { rx, hold, left: 0 }
    }
}

impl embedded_hal::digital::ErrorType for RxButton {
    type Error = Infallible;
}

impl embedded_hal::digital::InputPin for RxButton {
    fn is_high(&mut self) -> Result<bool, Infallible> {
        if self.rx.read_byte().is_some() {
            self.left = self.hold;
        }
        let down = self.left > 0;
        self.left = self.left.saturating_sub(1);
        Ok(!down)
    }
    fn is_low(&mut self) -> Result<bool, Infallible> {
        self.is_high().map(|h| !h)
    }
}

impl embedded_io::ErrorType for UartTx {
    type Error = Infallible;
}

impl embedded_io::Write for UartTx {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        for &b in buf {
            self.write_byte(b);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}
