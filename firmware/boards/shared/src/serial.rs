//! A HAL's serial transmitter (`embedded_hal_nb::serial::Write<u8>`) as the player's MIDI
//! port (`embedded_io::Write`, which HALs speak in different versions or with their own
//! error types).

use core::convert::Infallible;

/// The MIDI out: writes block until the transmitter takes each byte.
pub struct MidiOut<T>(pub T);

impl<T: embedded_hal_nb::serial::ErrorType> embedded_io::ErrorType for MidiOut<T> {
    type Error = Infallible;
}

impl<T: embedded_hal_nb::serial::Write<u8>> embedded_io::Write for MidiOut<T> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        for &b in buf {
            // The only transmit error is a framing one on receive lines; never on TX.
            let _ = nb::block!(self.0.write(b));
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        let _ = nb::block!(self.0.flush());
        Ok(())
    }
}
