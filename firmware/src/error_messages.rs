//! Every error the device core returns reads as a sentence, formatted without std (into a
//! fixed buffer, as a board would), never as a debug dump of the enum.
//!
//! Each enum has an exhaustive `variant` match: a new variant does not compile until it is
//! listed here, and the test fails until an example of it is checked.

#![forbid(unsafe_code)]

use core::fmt::{Debug, Display, Write};

use crate::engine::{ArenaPlanError, BlobError, EngineError};
use crate::midi::BufferTooSmall;
use crate::player::{LangevinError, PlayerError, StreamError};
use crate::sampler::analytic::BadChord;
use crate::sampler::clamp::OutOfRange;
use crate::sampler::table::BadValue;
use crate::sampler::{BadPair, PiecePlanError, Problem, SampleError};
use crate::voice::Voice;

/// `e`'s message, formatted with `core::fmt` alone.
fn message(e: &dyn Display) -> heapless::String<512> {
    let mut s = heapless::String::new();
    write!(s, "{e}").expect("a message fits in 512 bytes");
    s
}

/// The name of the variant `Debug` starts with (`Truncated` of `Truncated { .. }`).
fn debug_name(e: &dyn Debug) -> heapless::String<512> {
    let mut s: heapless::String<512> = heapless::String::new();
    write!(s, "{e:?}").expect("a debug form fits in 512 bytes");
    let end = s.find(|c: char| !c.is_alphanumeric() && c != '_').unwrap_or(s.len());
    s.truncate(end);
    s
}

/// Panics unless `e`'s message reads as a sentence: not empty, starting in lower case,
/// with no braces, no `Name(` and not naming its own variant.
fn assert_sentence<E: Display + Debug>(e: &E) {
    let m = message(e);
    let name = debug_name(e);
    assert!(m.len() > 10, "{name}: message {m:?} is too short to say anything");
    assert!(m.starts_with(|c: char| c.is_lowercase()), "{name}: message {m:?} should start in lower case");
    assert!(!m.contains(['{', '}']), "{name}: message {m:?} looks like a debug dump");
    assert!(!m.contains(name.as_str()), "{name}: message {m:?} names the variant");
    let mut rest = m.as_str();
    while let Some(start) = rest.find(|c: char| c.is_alphanumeric()) {
        let word_and_after = &rest[start..];
        let end = word_and_after.find(|c: char| !c.is_alphanumeric()).unwrap_or(word_and_after.len());
        let word = &word_and_after[..end];
        let capital = word.starts_with(|c: char| c.is_uppercase());
        let camel = capital && word.find(char::is_lowercase).is_some_and(|l| word[l..].contains(char::is_uppercase));
        assert!(!camel, "{name}: message {m:?} contains the identifier {word}");
        assert!(!(capital && word_and_after[end..].starts_with('(')), "{name}: message {m:?} contains a `{word}(` pattern");
        rest = &word_and_after[end..];
    }
    assert!(!m.ends_with([' ', ':', '.']), "{name}: message {m:?} ends badly");
}

/// Checks every example and that together they cover all `count` variants.
fn check_all<E: Display + Debug>(examples: &[E], variant: fn(&E) -> usize, count: usize) {
    let mut seen = [false; 32];
    for e in examples {
        assert_sentence(e);
        seen[variant(e)] = true;
    }
    let missing = seen[..count].iter().position(|s| !s);
    assert_eq!(missing, None, "no example of variant {missing:?} of {}", core::any::type_name::<E>());
}

fn blob_variant(e: &BlobError) -> usize {
    match e {
        BlobError::Truncated { .. } => 0,
        BlobError::BadMagic => 1,
        BlobError::FormatVersion { .. } => 2,
        BlobError::EncodingVersion { .. } => 3,
        BlobError::Crc { .. } => 4,
        BlobError::ForeignLayout => 5,
        BlobError::TooLarge { .. } => 6,
        BlobError::UnknownOp { .. } => 7,
        BlobError::UnknownScalarOp { .. } => 8,
        BlobError::Malformed { .. } => 9,
        BlobError::UnknownHead { .. } => 10,
    }
}

fn blob_errors() -> [BlobError; 12] {
    [
        BlobError::Truncated { needed: 318_784, got: 100_000 },
        BlobError::BadMagic,
        BlobError::FormatVersion { found: 9, supported: 3 },
        BlobError::EncodingVersion { found: 1, expected: 2 },
        BlobError::Crc { stored: 1_124_957_052, computed: 2_535_777_527 },
        BlobError::ForeignLayout,
        BlobError::TooLarge { what: "tensors", count: 300, max: 64 },
        BlobError::UnknownOp { index: 4, code: 200 },
        BlobError::UnknownScalarOp { index: 2, code: 99 },
        BlobError::Malformed { op: 3, reason: "conv too large" },
        BlobError::Malformed { op: usize::MAX, reason: "the network must have exactly one output" },
        BlobError::UnknownHead { code: 7 },
    ]
}

fn engine_plan_variant(e: &ArenaPlanError) -> usize {
    match e {
        ArenaPlanError::TooShort { .. } => 0,
        ArenaPlanError::LengthMismatch { .. } => 1,
        ArenaPlanError::Overflow => 2,
    }
}

const ENGINE_PLAN_ERRORS: [ArenaPlanError; 3] =
    [ArenaPlanError::TooShort { op: 1 }, ArenaPlanError::LengthMismatch { op: 5 }, ArenaPlanError::Overflow];

fn engine_variant(e: &EngineError) -> usize {
    match e {
        EngineError::Blob(_) => 0,
        EngineError::Plan(_) => 1,
        EngineError::ArenaTooSmall { .. } => 2,
        EngineError::BufferTooSmall { .. } => 3,
        EngineError::BadSigma => 4,
        EngineError::ScalarOutOfRange { .. } => 5,
    }
}

fn engine_errors() -> heapless::Vec<EngineError, 32> {
    let mut v = heapless::Vec::new();
    for b in blob_errors() {
        v.push(EngineError::Blob(b)).unwrap();
    }
    for p in ENGINE_PLAN_ERRORS {
        v.push(EngineError::Plan(p)).unwrap();
    }
    for e in [
        EngineError::ArenaTooSmall { needed: 9000, available: 4096 },
        EngineError::BufferTooSmall { needed: 640, got: 10 },
        EngineError::BadSigma,
        EngineError::ScalarOutOfRange { op: 7 },
    ] {
        v.push(e).unwrap();
    }
    v
}

fn piece_plan_variant(e: &PiecePlanError) -> usize {
    match e {
        PiecePlanError::UnsupportedTime => 0,
        PiecePlanError::PickupTooLong => 1,
        PiecePlanError::NoBars => 2,
    }
}

const PIECE_PLAN_ERRORS: [PiecePlanError; 3] = [PiecePlanError::UnsupportedTime, PiecePlanError::PickupTooLong, PiecePlanError::NoBars];

fn sample_variant<E>(e: &SampleError<E>) -> usize {
    match e {
        SampleError::Network(_) => 0,
        SampleError::BufferTooSmall { .. } => 1,
        SampleError::NoFrames => 2,
        SampleError::ClampOutOfRange(_) => 3,
        SampleError::BadSettings => 4,
    }
}

const OUT_OF_RANGE: OutOfRange = OutOfRange { frame: 12, voice: Voice::Bass, pitch: 90 };

fn sample_errors() -> heapless::Vec<SampleError<EngineError>, 32> {
    let mut v = heapless::Vec::new();
    for e in engine_errors().into_iter().take(3) {
        v.push(SampleError::Network(e)).unwrap();
    }
    for e in [
        SampleError::BufferTooSmall { frames: 64, capacity: 32 },
        SampleError::NoFrames,
        SampleError::ClampOutOfRange(OUT_OF_RANGE),
        SampleError::BadSettings,
    ] {
        v.push(e).unwrap();
    }
    v
}

fn langevin_variant<E>(e: &LangevinError<E>) -> usize {
    match e {
        LangevinError::Sample(_) => 0,
        LangevinError::Plan(_) => 1,
        LangevinError::TooLong { .. } => 2,
    }
}

fn langevin_errors() -> heapless::Vec<LangevinError<EngineError>, 32> {
    let mut v = heapless::Vec::new();
    for e in sample_errors() {
        v.push(LangevinError::Sample(e)).unwrap();
    }
    for p in PIECE_PLAN_ERRORS {
        v.push(LangevinError::Plan(p)).unwrap();
    }
    v.push(LangevinError::TooLong { frames: 80, capacity: 64 }).unwrap();
    v
}

fn player_variant<W, C>(e: &PlayerError<W, C>) -> usize {
    match e {
        PlayerError::Port(_) => 0,
        PlayerError::Compose(_) => 1,
        PlayerError::EmptyPhrase => 2,
    }
}

fn stream_variant<C>(e: &StreamError<C>) -> usize {
    match e {
        StreamError::Compose(_) => 0,
        StreamError::EmptyPhrase => 1,
    }
}

#[test]
fn engine_errors_are_sentences() {
    check_all(&blob_errors(), blob_variant, 11);
    check_all(&ENGINE_PLAN_ERRORS, engine_plan_variant, 3);
    check_all(&engine_errors(), engine_variant, 6);
}

#[test]
fn sampler_errors_are_sentences() {
    check_all(&PIECE_PLAN_ERRORS, piece_plan_variant, 3);
    check_all(&sample_errors(), sample_variant, 5);
    assert_sentence(&OUT_OF_RANGE);
    assert_sentence(&BadChord(2));
    for problem in [Problem::NoValue, Problem::UnknownKey, Problem::BadValue("levels", BadValue::NotOfKind), Problem::BadValue("epsilon", BadValue::NotFinite), Problem::BadValue("init", BadValue::OutOfRange)] {
        assert_sentence(&BadPair { pair: "levels=many", problem });
    }
    assert_sentence(&BufferTooSmall);
}

#[test]
fn player_errors_are_sentences() {
    check_all(&langevin_errors(), langevin_variant, 3);
    let mut players: heapless::Vec<PlayerError<BufferTooSmall, LangevinError<EngineError>>, 32> = heapless::Vec::new();
    players.push(PlayerError::Port(BufferTooSmall)).unwrap();
    players.push(PlayerError::EmptyPhrase).unwrap();
    for e in langevin_errors() {
        players.push(PlayerError::Compose(e)).unwrap();
    }
    check_all(&players, player_variant, 3);
    let streams = [StreamError::Compose(LangevinError::<EngineError>::TooLong { frames: 80, capacity: 64 }), StreamError::EmptyPhrase];
    check_all(&streams, stream_variant, 2);
}

#[test]
fn a_truncated_blob_says_so_in_words() {
    let e = EngineError::from(BlobError::Truncated { needed: 318_784, got: 100_000 });
    assert_eq!(message(&e).as_str(), "the model is refused: the file is truncated: 100000 bytes, 318784 needed");
}

#[test]
fn the_checker_catches_debug_dumps() {
    #[derive(Debug)]
    struct Dump(BlobError);
    impl Display for Dump {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            write!(f, "bad blob: {:?}", self.0)
        }
    }
    extern crate std;
    for e in [BlobError::Truncated { needed: 2, got: 1 }, BlobError::BadMagic] {
        let caught = std::panic::catch_unwind(|| assert_sentence(&Dump(e)));
        assert!(caught.is_err(), "{e:?} printed with Debug passed the check");
    }
}
