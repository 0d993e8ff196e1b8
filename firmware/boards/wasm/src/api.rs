//! The exported functions (C ABI, called from JavaScript).

use core::fmt::Write as _;

use kantor_core::chorale::silent_voice;
use kantor_core::midi::{write_smf, Performance};
use kantor_core::player::{model_settings, phrase_seed, Budget, Composer, LangevinComposer};
use kantor_core::sampler::melody as melody_prep;
use kantor_core::sampler::{clamp_home, clamp_melody, sample, PiecePlan, SamplerSettings, Workspace, FREE};
use kantor_core::{Frame, FrameMeta, Key, KeySignature, Mode, TimeSignature};

use crate::buffers::{self, buffers, set_message, Buffers, SliceWriter};
use crate::frames::{byte_token, write_frames, FRAME_BYTES};
use crate::progress::Reporting;
use crate::sizes::MAX_FRAMES;

/// Where the melody starts in the input buffer (the settings text comes first).
pub const MELODY_OFFSET: usize = 4096;

/// Lengths of what the last call wrote.
static mut LAST: Last = Last { frames: 0, midi: 0, xml: 0, message: 0, evaluations: 0, kernels: "" };

struct Last {
    frames: usize,
    midi: usize,
    xml: usize,
    message: usize,
    evaluations: usize,
    kernels: &'static str,
}

fn last() -> &'static mut Last {
    // SAFETY: one thread; no reference outlives an exported call.
    unsafe { &mut *core::ptr::addr_of_mut!(LAST) }
}

/// Records the length of a message just written.
pub fn set_last_message(len: usize) {
    last().message = len;
}

/// Records a failure: its message, and 0 as the result.
fn fail(args: core::fmt::Arguments) -> u32 {
    let l = last();
    l.message = set_message(args);
    l.frames = 0;
    l.midi = 0;
    l.xml = 0;
    0
}

/// The input buffer (settings text, then the melody at [`MELODY_OFFSET`]).
#[no_mangle]
pub extern "C" fn kantor_input() -> *mut u8 {
    buffers::input_ptr()
}

#[no_mangle]
pub extern "C" fn kantor_input_capacity() -> u32 {
    buffers::INPUT_BYTES as u32
}

#[no_mangle]
pub extern "C" fn kantor_melody_offset() -> u32 {
    MELODY_OFFSET as u32
}

#[no_mangle]
pub extern "C" fn kantor_max_frames() -> u32 {
    MAX_FRAMES as u32
}

#[no_mangle]
pub extern "C" fn kantor_frame_bytes() -> u32 {
    FRAME_BYTES as u32
}

/// The frames of the last piece, [`FRAME_BYTES`] each (in the MusicXML buffer's tail).
#[no_mangle]
pub extern "C" fn kantor_frames() -> *const u8 {
    // SAFETY: the frame bytes live in the MIDI buffer past the file (see `finish`).
    unsafe { buffers::midi_ptr().add(frames_offset()) }
}

#[no_mangle]
pub extern "C" fn kantor_frame_count() -> u32 {
    last().frames as u32
}

#[no_mangle]
pub extern "C" fn kantor_midi() -> *const u8 {
    buffers::midi_ptr()
}

#[no_mangle]
pub extern "C" fn kantor_midi_len() -> u32 {
    last().midi as u32
}

#[no_mangle]
pub extern "C" fn kantor_musicxml() -> *const u8 {
    buffers::xml_ptr()
}

#[no_mangle]
pub extern "C" fn kantor_musicxml_len() -> u32 {
    last().xml as u32
}

#[no_mangle]
pub extern "C" fn kantor_message() -> *const u8 {
    buffers::message_ptr()
}

#[no_mangle]
pub extern "C" fn kantor_message_len() -> u32 {
    last().message as u32
}

/// Network evaluations the last piece took.
#[no_mangle]
pub extern "C" fn kantor_evaluations() -> u32 {
    last().evaluations as u32
}

/// The name of the kernel set the engine runs with (after a call that built it), at
/// `kantor_message()`; returns its length.
#[no_mangle]
pub extern "C" fn kantor_kernels() -> u32 {
    let name = match buffers() {
        Ok(b) => b.net.kernels().name(),
        Err(_) => "none",
    };
    last().kernels = name;
    let n = set_message(format_args!("{name}"));
    last().message = n;
    n as u32
}

/// Runs the engine with kernel set `index` of those this module has (0 the portable
/// one, 1 the wasm SIMD128 one); returns 1 if there is such a set.
#[no_mangle]
pub extern "C" fn kantor_use_kernels(index: u32) -> u32 {
    let sets = kantor_core::engine::Kernels::available();
    match sets.get(index as usize) {
        Some(&k) => u32::from(buffers::use_kernels(k).is_ok()),
        None => 0,
    }
}

/// The MIDI file ends here in the MIDI buffer; the frame bytes follow.
fn frames_offset() -> usize {
    (last().midi + 7) & !7
}

/// Sampler settings: the model's own, for a harmonisation with at least
/// `HARMONIZING_ROUNDS` of refinement, then the `key=value` pairs of `text`.
fn settings_for(b: &mut Buffers, text_len: usize, harmonizing: bool) -> Result<SamplerSettings, u32> {
    let mut s = model_settings(&b.net.model(), Budget::default());
    if harmonizing {
        s = s.harmonizing();
    }
    let text = core::str::from_utf8(&b.input[..text_len.min(MELODY_OFFSET)]).map_err(|_| fail(format_args!("the settings are not text")))?;
    if let Err(bad) = s.apply_text(text) {
        return Err(fail(format_args!("sampler settings: {bad}")));
    }
    if !s.is_valid() || !s.is_bounded() {
        return Err(fail(format_args!("these sampler settings cannot run ({text})")));
    }
    Ok(s)
}

/// Samples `n` frames of `b.piece` (metas and clamps set; `clamped` says whether the
/// clamps apply) and writes the MIDI file and the frame bytes.
fn compose_piece(b: Buffers, n: usize, clamped: bool, settings: &SamplerSettings, seed: u64, time: TimeSignature, tempo: u16, mode: u8, what: &str) -> u32 {
    let piece = b.piece;
    let Some(mut ws) = Workspace::split(b.work, n) else { return fail(format_args!("the workspace holds fewer than {n} frames")) };
    let mut net = Reporting { net: b.net, done: 0, total: settings.evaluations() as u32 };
    // A piece that must open and close at home strikes the tonic in the bass at its first
    // frame and holds it at its last fermata, as the host does.
    if !clamped {
        piece.clamps[..n].fill(FREE);
    }
    let clamped = clamped || clamp_home(&mut piece.clamps[..n], &piece.metas[..n], &settings.refine, true, true) > 0;
    let clamps = if clamped { &piece.clamps[..n] } else { &[][..] };
    let report = match sample(&mut net, settings, seed, &piece.metas[..n], clamps, &mut ws, &mut piece.tokens[..n]) {
        Ok(r) => r,
        Err(e) => return fail(format_args!("the {what} with seed {seed} failed: {e}")),
    };
    for i in 0..n {
        piece.frames[i] = Frame { tokens: piece.tokens[i], meta: piece.metas[i] };
    }
    let frames = &piece.frames[..n];
    if let Some(voice) = silent_voice(frames) {
        return fail(format_args!(
            "the {what} with seed {seed} came out with a silent {}: these sampler settings do not make music (try the model's defaults)",
            voice.name()
        ));
    }
    last().evaluations = report.evaluations;
    finish(frames, b.midi, b.xml, time, tempo, mode, what, seed)
}

/// Writes the MIDI file, the MusicXML and the frame bytes of `frames`; returns the frame
/// count (0 on failure, with a message).
#[allow(clippy::too_many_arguments)]
fn finish(frames: &[Frame], midi: &mut [u8], xml: &mut [u8], time: TimeSignature, tempo: u16, mode: u8, what: &str, seed: u64) -> u32 {
    let performance = Performance { tempo_bpm: tempo, ..Performance::default() };
    let len = match write_smf(frames, time, &performance, midi) {
        Ok(len) => len,
        Err(e) => return fail(format_args!("{e}")),
    };
    let l = last();
    l.midi = len;
    let off = frames_offset();
    match midi.get_mut(off..off + frames.len() * FRAME_BYTES) {
        Some(out) => write_frames(frames, mode, out),
        None => return fail(format_args!("the piece is too long")),
    }
    let mut w = SliceWriter { buf: xml, len: 0, full: false };
    let mut title: heapless::String<64> = heapless::String::new();
    let _ = write!(title, "Kantor {what}, seed {seed}");
    if kantor_core::notation::write_musicxml(&mut w, frames, time, &title, &performance).is_err() || w.full {
        return fail(format_args!("the MusicXML is too long"));
    }
    l.xml = w.len;
    l.frames = frames.len();
    l.message = 0;
    frames.len() as u32
}

fn time_of(numerator: u32, denominator: u32) -> Result<TimeSignature, u32> {
    let time = TimeSignature { numerator: numerator.min(255) as u8, denominator: denominator.min(255) as u8 };
    match time.frames_per_bar() {
        Some(_) if time.denominator.is_power_of_two() => Ok(time),
        _ => Err(fail(format_args!("time signature {numerator}/{denominator} is not one Kantor writes"))),
    }
}

/// The time signature, the buffers and the sampler settings of a call.
fn prepare(numerator: u32, denominator: u32, settings_len: u32, harmonizing: bool) -> Result<(TimeSignature, Buffers, SamplerSettings), u32> {
    let time = time_of(numerator, denominator)?;
    let mut b = buffers().map_err(|e| fail(format_args!("the model cannot run: {e}")))?;
    let settings = settings_for(&mut b, settings_len as usize, harmonizing)?;
    Ok((time, b, settings))
}

/// Composes a chorale as `kantor generate --engine int8` does: `bars` bars of
/// `numerator/denominator` after a pickup of `pickup` 16ths, in the key signature of
/// `fifths` (minor keys use their relative major's), `mode` (0 major, 1 minor: passed
/// through to the frame bytes until the network takes it), a fermata every
/// `fermata_every` bars, at `tempo` quarters a minute, from `seed`, with the sampler
/// settings text of `settings_len` bytes at `kantor_input()` over the model's own.
/// Returns the frame count, or 0 with a message.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn kantor_compose(fifths: i32, mode: u32, bars: u32, numerator: u32, denominator: u32, pickup: u32, fermata_every: u32, tempo: u32, seed: u64, settings_len: u32) -> u32 {
    let (time, b, settings) = match prepare(numerator, denominator, settings_len, false) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let plan = PiecePlan {
        bars: bars as usize,
        time,
        key: Key::of_signature(KeySignature { fifths: fifths.clamp(-7, 7) as i8 }, mode_of(mode)),
        pickup: pickup as usize,
        fermata_every: fermata_every as usize,
    };
    let n = match plan.frames() {
        Ok(n) if n <= MAX_FRAMES => n,
        Ok(n) => return fail(format_args!("{n} frames are more than the {MAX_FRAMES} this page composes")),
        Err(e) => return fail(format_args!("cannot lay out the piece: {e}")),
    };
    if plan.fill(&mut b.piece.metas[..n]).is_err() {
        return fail(format_args!("cannot lay out the piece"));
    }
    compose_piece(b, n, false, &settings, seed, time, tempo.clamp(1, 400) as u16, mode.min(1) as u8, "chorale")
}

/// Bytes per melody frame at `kantor_input() + kantor_melody_offset()`: the soprano's
/// token (0 hold, 1 rest, else the pitch), 1 under a fermata the file marks, the position
/// in the bar, the key signature (fifths, signed).
pub const MELODY_BYTES: usize = 4;

#[no_mangle]
pub extern "C" fn kantor_melody_bytes() -> u32 {
    MELODY_BYTES as u32
}

/// Harmonises a melody as `kantor harmonize --engine int8` does: `frames` frames of
/// [`MELODY_BYTES`] as read from a file in `numerator/denominator`. The melody moves
/// into the soprano's range by whole octaves if it must, ends with the bar its final note
/// ends in, and gets a fermata every `fermata_every` bars if it marks none (and on its
/// final note); the settings text as for [`kantor_compose`].
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn kantor_harmonize(frames: u32, numerator: u32, denominator: u32, fermata_every: u32, mode: u32, tempo: u32, seed: u64, settings_len: u32) -> u32 {
    let n = frames as usize;
    if n == 0 || n > MAX_FRAMES || MELODY_OFFSET + MELODY_BYTES * n > buffers::INPUT_BYTES {
        return fail(format_args!("a melody of {n} 16ths: between 1 and {MAX_FRAMES} can be harmonised"));
    }
    let (time, b, settings) = match prepare(numerator, denominator, settings_len, true) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let melody = &b.input[MELODY_OFFSET..MELODY_OFFSET + MELODY_BYTES * n];
    let piece = &mut *b.piece;
    let mut soprano = [kantor_core::Token::Rest; MAX_FRAMES];
    for (i, m) in melody.chunks_exact(MELODY_BYTES).enumerate() {
        soprano[i] = byte_token(m[0]);
        piece.metas[i] = FrameMeta { position_in_bar: m[2], fermata: m[1] != 0, key: KeySignature { fifths: (m[3] as i8).clamp(-7, 7) }, mode: Mode::Major };
    }
    let Some(shift) = melody_prep::octave_shift(&soprano[..n]) else {
        return fail(format_args!(
            "the melody does not fit the soprano's range {}–{} in any octave",
            kantor_core::Voice::Soprano.range().lowest,
            kantor_core::Voice::Soprano.range().highest
        ));
    };
    melody_prep::transpose(&mut soprano[..n], &mut piece.metas[..n], shift);
    let n = melody_prep::end_of_piece(&soprano[..n], &piece.metas[..n]);
    melody_prep::ensure_fermatas(&soprano[..n], &mut piece.metas[..n], time, fermata_every as usize);
    // The key: asked (mode 0 major, 1 minor, of the melody's signature), or found from the
    // melody as `kantor harmonize` finds it (mode 2).
    let signature = piece.metas[n - 1].key;
    let key = if mode >= 2 { Key::of_melody(&soprano[..n], signature).unwrap_or(Key::C_MAJOR) } else { Key::of_signature(signature, mode_of(mode)) };
    for m in &mut piece.metas[..n] {
        m.key = key.signature();
        m.mode = key.mode;
    }
    let mode = u32::from(key.mode == Mode::Minor);
    clamp_melody(&mut piece.clamps[..n], &soprano[..n]);
    if let Err(e) = kantor_core::sampler::clamp::check(&piece.clamps[..n]) {
        return fail(format_args!("the melody: {e}"));
    }
    compose_piece(b, n, true, &settings, seed, time, tempo.clamp(1, 400) as u16, mode.min(1) as u8, "harmonisation")
}

/// Phrases of the endless chorale: two bars, each continuing the bar before.
const PHRASE_BARS: usize = 2;
/// Context and phrase: three bars of at most six quarters.
const ENDLESS_FRAMES: usize = 3 * 24;

struct Endless {
    plan: PiecePlan,
    seed: u64,
    tempo: u16,
    mode: u8,
    index: u32,
    context: [Frame; 24],
    context_len: usize,
}

static mut ENDLESS: Option<Endless> = None;

/// Starts an endless chorale (as `kantor play --endless` and the boards' stream: phrases
/// of two bars, phrase `i` from `phrase_seed(seed, i)`, each continuing the last bar of
/// the one before); `kantor_endless_next` composes each phrase.
#[no_mangle]
pub extern "C" fn kantor_endless_start(fifths: i32, mode: u32, numerator: u32, denominator: u32, tempo: u32, seed: u64) -> u32 {
    let time = match time_of(numerator, denominator) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let plan = PiecePlan { bars: PHRASE_BARS, time, key: Key::of_signature(KeySignature { fifths: fifths.clamp(-7, 7) as i8 }, mode_of(mode)), pickup: 0, fermata_every: PHRASE_BARS };
    // SAFETY: one thread; no reference outlives an exported call.
    unsafe {
        *core::ptr::addr_of_mut!(ENDLESS) =
            Some(Endless { plan, seed, tempo: tempo.clamp(1, 400) as u16, mode: mode.min(1) as u8, index: 0, context: [Frame::held(FrameMeta::default()); 24], context_len: 0 });
    }
    1
}

/// Composes the next phrase of the endless chorale with the sampler settings text of
/// `settings_len` bytes; its frames, MIDI file and MusicXML are read as a piece's.
#[no_mangle]
pub extern "C" fn kantor_endless_next(settings_len: u32) -> u32 {
    // SAFETY: one thread; no reference outlives an exported call.
    let Some(e) = (unsafe { (*core::ptr::addr_of_mut!(ENDLESS)).as_mut() }) else { return fail(format_args!("no endless chorale was started")) };
    let (_, b, settings) = match prepare(e.plan.time.numerator as u32, e.plan.time.denominator as u32, settings_len, false) {
        Ok(p) => p,
        Err(err) => return err,
    };
    let total = settings.evaluations() as u32;
    let work_len = Workspace::floats_needed(ENDLESS_FRAMES);
    let net = Reporting { net: &mut *b.net, done: 0, total };
    let mut composer: LangevinComposer<'_, _, ENDLESS_FRAMES> = LangevinComposer::new(net, settings, e.plan, &mut b.work[..work_len]);
    let out = &mut b.piece.frames[..ENDLESS_FRAMES];
    let n = match composer.compose(phrase_seed(e.seed, e.index), &e.context[..e.context_len], out) {
        Ok(n) => n,
        Err(err) => return fail(format_args!("phrase {} failed: {err}", e.index + 1)),
    };
    let bar = e.plan.time.frames_per_bar().unwrap_or(16) as usize;
    e.context_len = bar.min(n);
    e.context[..e.context_len].copy_from_slice(&out[n - e.context_len..n]);
    e.index += 1;
    let (time, tempo, mode, seed) = (e.plan.time, e.tempo, e.mode, e.seed);
    finish(&b.piece.frames[..n], b.midi, b.xml, time, tempo, mode, "endless chorale", seed)
}

/// The mode of a `mode` argument: 1 minor, anything else major.
fn mode_of(mode: u32) -> Mode {
    if mode == 1 {
        Mode::Minor
    } else {
        Mode::Major
    }
}
