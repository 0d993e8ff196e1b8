//! Where `kantor play` sends its MIDI: a serial device at 31,250 baud, as a board's UART
//! does, or a MIDI output port of the operating system (ALSA, CoreMIDI, WinMM; feature
//! `midi-ports`).

use anyhow::Result;
use std::time::Duration;

/// The baud rate of MIDI 1.0.
pub const MIDI_BAUD: u32 = 31_250;

/// An open MIDI output: takes the player's bytes (running status included).
pub struct MidiOut {
    sink: Sink,
}

enum Sink {
    /// A serial line carries the bytes as they are.
    Serial(Box<dyn serialport::SerialPort>),
    /// A port of the MIDI system takes whole messages: the bytes are parsed back into
    /// messages (running status resolved) before they are sent.
    #[cfg(feature = "midi-ports")]
    System { connection: midir::MidiOutputConnection, parser: midly::stream::MidiStream },
}

impl MidiOut {
    /// The serial device at `path` (`/dev/ttyUSB0`, `COM3`, a pseudo-terminal), at `baud`, 8N1.
    pub fn serial(path: &str, baud: u32) -> Result<MidiOut> {
        let port = serialport::new(path, baud).timeout(Duration::from_secs(1)).open().map_err(|e| match not_a_terminal(path) {
            Some(what) => anyhow::anyhow!(
                "{path} is {what}, not a serial port: it has no baud rate to set; give the serial adapter's device (e.g. /dev/ttyUSB0) or a pseudo-terminal"
            ),
            None => anyhow::Error::new(e).context(format!("cannot open the serial device {path} at {baud} baud")),
        })?;
        Ok(MidiOut { sink: Sink::Serial(port) })
    }

    /// The MIDI output port `which`: its number in [`port_names`] or a part of its name.
    #[cfg(feature = "midi-ports")]
    pub fn system(which: &str) -> Result<(MidiOut, String)> {
        let output = system_output()?;
        let ports = output.ports();
        let names: Vec<String> = ports.iter().map(|p| output.port_name(p).unwrap_or_default()).collect();
        let index = choose(&names, which)?;
        let name = names[index].clone();
        let connection = output
            .connect(&ports[index], "Kantor")
            .map_err(|e| anyhow::anyhow!("cannot connect to the MIDI port {name}: {e}"))?;
        Ok((MidiOut { sink: Sink::System { connection, parser: midly::stream::MidiStream::new() } }, name))
    }

    /// Without the `midi-ports` feature: says how to get it.
    #[cfg(not(feature = "midi-ports"))]
    pub fn system(_which: &str) -> Result<(MidiOut, String)> {
        anyhow::bail!("{NO_PORTS}")
    }
}

/// What `path` is when it exists but is no terminal (a serial port is one): `/dev/null`,
/// a file, a folder.
fn not_a_terminal(path: &str) -> Option<&'static str> {
    use std::os::unix::io::AsRawFd;
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_dir() {
        return Some("a folder");
    }
    if meta.is_file() {
        return Some("a file");
    }
    let file = std::fs::OpenOptions::new().write(true).open(path).ok()?;
    // SAFETY: isatty only looks at the open descriptor.
    let tty = unsafe { libc::isatty(file.as_raw_fd()) } == 1;
    (!tty).then_some("a device but no terminal")
}

/// Why this build has no MIDI ports, and what to do.
#[cfg(not(feature = "midi-ports"))]
const NO_PORTS: &str = "this kantor was built without MIDI ports: build it with `--features midi-ports` \
     (on Linux this needs ALSA's headers, e.g. `apt-get install libasound2-dev`), or play to a \
     serial device with --serial";

/// The names of the MIDI output ports, in the order `--port N` counts them.
#[cfg(feature = "midi-ports")]
pub fn port_names() -> Result<Vec<String>> {
    let output = system_output()?;
    Ok(output.ports().iter().map(|p| output.port_name(p).unwrap_or_else(|e| format!("(unnamed: {e})"))).collect())
}

#[cfg(not(feature = "midi-ports"))]
pub fn port_names() -> Result<Vec<String>> {
    anyhow::bail!("{NO_PORTS}")
}

#[cfg(feature = "midi-ports")]
fn system_output() -> Result<midir::MidiOutput> {
    midir::MidiOutput::new("Kantor").map_err(|e| anyhow::anyhow!("cannot reach the MIDI system ({e}); on Linux, is the ALSA sequencer there (/dev/snd/seq)?"))
}

/// The port `which` names among `names`: a number counts from 0, else a part of one name
/// (ignoring case).
pub fn choose(names: &[String], which: &str) -> Result<usize> {
    if names.is_empty() {
        anyhow::bail!("there is no MIDI output port (start a synthesiser, or connect one)");
    }
    if let Ok(n) = which.trim().parse::<usize>() {
        return if n < names.len() {
            Ok(n)
        } else {
            anyhow::bail!("there is no MIDI port {n}: the ports are 0 to {} (see --list-ports)", names.len() - 1)
        };
    }
    let wanted = which.to_lowercase();
    let matching: Vec<usize> = (0..names.len()).filter(|&i| names[i].to_lowercase().contains(&wanted)).collect();
    match matching.as_slice() {
        [one] => Ok(*one),
        [] => anyhow::bail!("no MIDI port is called '{which}'; the ports are: {}", names.join(", ")),
        many => anyhow::bail!(
            "'{which}' names {} MIDI ports ({}); give more of the name or its number",
            many.len(),
            many.iter().map(|&i| names[i].as_str()).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// A failure of the MIDI output, as the player reports it.
#[derive(Debug)]
pub struct PortError(String);

impl std::fmt::Display for PortError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PortError {}

impl embedded_io::Error for PortError {
    fn kind(&self) -> embedded_io::ErrorKind {
        embedded_io::ErrorKind::Other
    }
}

impl embedded_io::ErrorType for MidiOut {
    type Error = PortError;
}

impl embedded_io::Write for MidiOut {
    fn write(&mut self, buf: &[u8]) -> Result<usize, PortError> {
        match &mut self.sink {
            Sink::Serial(port) => std::io::Write::write(port, buf).map_err(|e| PortError(format!("the serial device failed: {e}"))),
            #[cfg(feature = "midi-ports")]
            Sink::System { connection, parser } => {
                let mut failure = None;
                parser.feed(buf, |event| {
                    let mut message = Vec::with_capacity(3);
                    if event.write_std(&mut message).is_ok() {
                        if let Err(e) = connection.send(&message) {
                            failure.get_or_insert(PortError(format!("the MIDI port failed: {e}")));
                        }
                    }
                });
                failure.map_or(Ok(buf.len()), Err)
            }
        }
    }

    fn flush(&mut self) -> Result<(), PortError> {
        match &mut self.sink {
            Sink::Serial(port) => std::io::Write::flush(port).map_err(|e| PortError(format!("the serial device failed: {e}"))),
            #[cfg(feature = "midi-ports")]
            Sink::System { .. } => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_by_number_or_name() {
        let names: Vec<String> = ["Midi Through:0", "FLUID Synth (123):0", "FLUID Synth (456):0"].map(String::from).to_vec();
        assert_eq!(choose(&names, "0").unwrap(), 0);
        assert_eq!(choose(&names, "(456)").unwrap(), 2);
        assert_eq!(choose(&names, "through").unwrap(), 0);
        assert!(choose(&names, "fluid").unwrap_err().to_string().contains("names 2 MIDI ports"));
        assert!(choose(&names, "3").unwrap_err().to_string().contains("0 to 2"));
        assert!(choose(&names, "organ").unwrap_err().to_string().contains("Midi Through:0"));
        assert!(choose(&[], "0").unwrap_err().to_string().contains("no MIDI output port"));
    }
}
