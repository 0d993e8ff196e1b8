//! What the firmware tests share: a strict MIDI 1.0 wire checker, the host run of the
//! board application (same player, composer and int8 engine, on a virtual clock), the
//! emulated board's log, and a pseudo-terminal standing in for a serial port.

#![allow(dead_code)]

pub mod heard;
pub mod pty;

use std::collections::HashMap;

use kantor_core::engine::Int8ScoreNet;
use kantor_core::player::sim::{RecordingLed, ScriptedButton, VecPort, VirtualClock, VirtualTimer};
use kantor_core::player::{Budget, FixedSeed, Happening, LangevinComposer, Player, PlayerConfig};
use kantor_core::sampler::Workspace;
use kantor_core::Frame;

/// What a MIDI byte stream held.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WireSummary {
    pub messages: usize,
    pub note_ons: usize,
    pub note_offs: usize,
    pub program_changes: usize,
    pub all_notes_off: usize,
    /// Messages sent without their status byte.
    pub running_status: usize,
}

/// Parses `bytes` as a MIDI 1.0 stream of channel messages, strictly: no data byte
/// without a status, no system or unknown messages, no truncated message, every note-on
/// ended by a note-off (or velocity 0) or an all-notes-off on its channel, none twice.
pub fn check_wire(bytes: &[u8]) -> Result<WireSummary, String> {
    let mut s = WireSummary::default();
    let mut status: Option<u8> = None;
    let mut sounding: HashMap<(u8, u8), usize> = HashMap::new();
    let mut i = 0;
    while i < bytes.len() {
        let mut st = status;
        if bytes[i] >= 0x80 {
            st = Some(bytes[i]);
            i += 1;
        } else {
            s.running_status += 1;
        }
        let st = st.ok_or_else(|| format!("data byte {:#04x} at {} without a status", bytes[i], i))?;
        let len = match st & 0xF0 {
            0x80 | 0x90 | 0xB0 => 2,
            0xC0 => 1,
            _ => return Err(format!("unexpected status {st:#04x} at {}", i - 1)),
        };
        let data = bytes.get(i..i + len).ok_or_else(|| format!("message {st:#04x} cut short at the end"))?;
        if let Some(b) = data.iter().find(|&&b| b >= 0x80) {
            return Err(format!("status byte {b:#04x} inside the message at {i}"));
        }
        i += len;
        status = Some(st);
        s.messages += 1;
        let ch = st & 0x0F;
        match (st & 0xF0, data) {
            (0x90, &[key, vel]) if vel > 0 => {
                s.note_ons += 1;
                let n = sounding.entry((ch, key)).or_default();
                if *n > 0 {
                    return Err(format!("note {key} on channel {ch} struck while sounding (byte {i})"));
                }
                *n += 1;
            }
            (0x80 | 0x90, &[key, _]) => {
                s.note_offs += 1;
                match sounding.get_mut(&(ch, key)) {
                    Some(n) if *n > 0 => *n -= 1,
                    _ => return Err(format!("note-off for silent note {key} on channel {ch} (byte {i})")),
                }
            }
            (0xB0, &[123, _]) => {
                s.all_notes_off += 1;
                sounding.retain(|&(c, _), _| c != ch);
            }
            (0xB0, _) => {}
            (0xC0, _) => s.program_changes += 1,
            _ => unreachable!(),
        }
    }
    if let Some(((ch, key), _)) = sounding.iter().find(|(_, &n)| n > 0) {
        return Err(format!("note {key} on channel {ch} is never ended"));
    }
    Ok(s)
}

/// How a board composes, as its build configured it (and its log states).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoardConfig {
    pub frames: usize,
    pub phrase_bars: usize,
    pub context: usize,
    pub phrases: u32,
    /// 0 = the model's own.
    pub steps: usize,
    /// 0 = the model's own.
    pub levels: usize,
    pub pieces: u32,
    pub seed: u64,
}

impl BoardConfig {
    /// The sampler budget these settings ask for.
    pub fn budget(&self) -> Budget {
        Budget { levels: (self.levels > 0).then_some(self.levels), steps_per_level: (self.steps > 0).then_some(self.steps) }
    }

    /// Parses the board's `config: model true frames 48 ...` log line.
    pub fn from_log(log: &str) -> Result<(bool, BoardConfig), String> {
        let line = log.lines().find(|l| l.starts_with("config:")).ok_or("the log has no config line")?;
        let words: Vec<&str> = line.split_whitespace().collect();
        let get = |key: &str| -> Result<&str, String> {
            let at = words.iter().position(|w| *w == key).ok_or(format!("config line lacks {key}"))?;
            words.get(at + 1).copied().ok_or(format!("config line: {key} has no value"))
        };
        let num = |key: &str| -> Result<u64, String> { get(key)?.parse().map_err(|_| format!("config {key} is not a number")) };
        Ok((
            get("model")? == "true",
            BoardConfig {
                frames: num("frames")? as usize,
                phrase_bars: num("phrase_bars")? as usize,
                context: num("context")? as usize,
                phrases: num("phrases")? as u32,
                steps: num("steps")? as usize,
                levels: num("levels")? as usize,
                pieces: num("pieces")? as u32,
                seed: num("seed")?,
            },
        ))
    }
}

/// The bytes the board application sends for each piece of `seeds`, run on the host: the
/// same player, sampler and int8 engine over `blob`, on a virtual clock.
pub fn host_pieces(blob: &[u8], cfg: &BoardConfig, seeds: impl IntoIterator<Item = u64>) -> Vec<Vec<u8>> {
    host_run(blob, cfg, seeds).into_iter().map(|p| p.bytes).collect()
}

/// One piece of a host run: what went out on the port, and the frames it played.
#[derive(Clone, Debug, PartialEq)]
pub struct HostPiece {
    pub bytes: Vec<u8>,
    pub frames: Vec<Frame>,
}

/// The board application on the host (see [`host_pieces`]), keeping each piece's frames.
pub fn host_run(blob: &[u8], cfg: &BoardConfig, seeds: impl IntoIterator<Item = u64>) -> Vec<HostPiece> {
    let net = Int8ScoreNet::new(blob.to_vec(), vec![0u8; 1 << 22], cfg.frames).expect("the engine loads the blob");
    let mut buffer = vec![0f32; Workspace::floats_needed(cfg.frames)];
    // The boards' limit; a larger one would only matter if pieces outgrew it.
    let composer: LangevinComposer<'_, _, 256> = LangevinComposer::phrases(net, cfg.phrase_bars, cfg.budget(), &mut buffer);
    let clock = VirtualClock::new();
    let config = PlayerConfig { phrases: cfg.phrases, context_frames: cfg.context, ..PlayerConfig::default() };
    let mut player: Player<_, _, _, _, _, _, 256> = Player::new(
        ScriptedButton { clock: &clock, held: &[] },
        RecordingLed::default(),
        VecPort::default(),
        VirtualTimer { clock: &clock },
        composer,
        FixedSeed(0),
        config,
    );
    let mut pieces = Vec::new();
    for seed in seeds {
        player.start(seed);
        loop {
            match player.step().expect("the player runs") {
                Some(Happening::Finished { .. }) => break,
                Some(Happening::Stopped { .. }) => panic!("nobody pressed the button"),
                _ => {}
            }
        }
        pieces.push(HostPiece { bytes: std::mem::take(&mut player.port().0), frames: player.piece().to_vec() });
    }
    pieces
}

/// The bytes of the endless chorale from `seed`: `phrases` phrases streamed through the
/// player's queue and playback on a virtual clock, then a stop. With `blob`, composed by
/// the int8 network as the board does; without, by the model-free cadences.
pub fn host_stream(blob: Option<&[u8]>, cfg: &BoardConfig, seed: u64, phrases: u32) -> Vec<u8> {
    use kantor_core::player::{Cadences, Composer, EventQueue, Playback, StreamControl, Streamer};
    fn run<C: Composer>(composer: C, cfg: &BoardConfig, seed: u64, phrases: u32) -> Vec<u8> {
        let clock = VirtualClock::new();
        let mut queue: EventQueue<1024> = EventQueue::new();
        let (producer, consumer) = queue.split();
        let control = StreamControl::new();
        let config = PlayerConfig { phrases: cfg.phrases, context_frames: cfg.context, ..PlayerConfig::default() };
        let playback = std::cell::RefCell::new(Playback::new(consumer, VecPort::default(), &control, config.performance));
        let mut streamer: Streamer<'_, C, 256> = Streamer::new(producer, &control, composer, config);
        let mut timer = VirtualTimer { clock: &clock };
        let mut wait = |t: &mut VirtualTimer<'_>| {
            t.clock.advance_ns(1_000_000);
            playback.borrow_mut().on_tick(t.clock.now_us()).unwrap();
        };
        streamer.start(seed);
        for _ in 0..phrases {
            streamer.step(&mut timer, &mut wait).expect("the stream composes");
        }
        while !playback.borrow().is_idle() {
            wait(&mut timer);
        }
        streamer.stop(&mut timer, &mut wait);
        let bytes = std::mem::take(&mut playback.borrow_mut().port().0);
        bytes
    }
    match blob {
        None => run(Cadences, cfg, seed, phrases),
        Some(blob) => {
            let net = Int8ScoreNet::new(blob.to_vec(), vec![0u8; 1 << 22], cfg.frames).expect("the engine loads the blob");
            let mut buffer = vec![0f32; Workspace::floats_needed(cfg.frames)];
            let composer: LangevinComposer<'_, _, 256> = LangevinComposer::phrases(net, cfg.phrase_bars, cfg.budget(), &mut buffer);
            run(composer, cfg, seed, phrases)
        }
    }
}

/// A seeded random int8 network that uses every op of the blob format (the engine's
/// test material), as a blob.
pub fn synthetic_blob(seed: u64) -> Vec<u8> {
    use kantor_host::quantize::{blob, synthetic};
    let g = synthetic::network(seed, synthetic::Shape { channels: 16, blocks: 2, kernel: 3 });
    blob::write(&g).expect("a synthetic network writes")
}
