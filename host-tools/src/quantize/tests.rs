//! The engine against the reference, the blob format, and golden vectors.

use std::path::PathBuf;

use kantor_engine::format;
use kantor_core::engine::{self, BlobError, EngineError, Int8ScoreNet, ModelExt};
use kantor_core::onehot::{ENCODING_VERSION, VOICE_CHANNELS};
use kantor_core::sampler::Gaussian;

use super::synthetic::{self, Shape};
use super::{blob, reference};

/// Runs the engine on a blob (arena sized exactly from the plan).
fn engine(bytes: &[u8], x: &[f32], meta: &[f32], frames: usize, sigma: f32) -> Result<Vec<f32>, EngineError> {
    let model = engine::load(bytes)?;
    let needed = kantor_core::engine::Plan::new(&model, frames)?.arena_bytes;
    let mut net = Int8ScoreNet::new(bytes, vec![0u8; needed], frames)?;
    let mut score = vec![f32::NAN; VOICE_CHANNELS * frames];
    net.run(x, meta, frames, sigma, &mut score)?;
    Ok(score)
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|f| f.to_bits()).collect()
}

#[test]
fn engine_matches_reference_on_random_networks() {
    let mut rng = Gaussian::new(7);
    for case in 0..40u64 {
        let shape = Shape {
            channels: 1 + (rng.uniform() * 24.0) as usize,
            blocks: (rng.uniform() * 4.0) as usize,
            kernel: [1, 3, 5][(rng.uniform() * 3.0) as usize % 3],
        };
        let g = synthetic::network(case, shape);
        let bytes = blob::write(&g).unwrap();
        let frames = 2 * (1 + (rng.uniform() * 24.0) as usize);
        let sigma = g.schedule.sigma((rng.uniform() * g.schedule.levels as f32) as usize % g.schedule.levels);
        let (x, meta) = synthetic::input(1000 + case, frames, sigma);
        let want = reference::run(&g, &x, &meta, frames, sigma).expect("reference runs");
        let got = engine(&bytes, &x, &meta, frames, sigma).unwrap();
        assert_eq!(bits(&got), bits(&want), "case {case}: {shape:?}, {frames} frames, σ = {sigma}");
        // Not a degenerate network: the output varies (a two-channel network without
        // blocks near σ_min may give only a handful of values).
        let distinct = want.iter().map(|v| v.to_bits()).collect::<std::collections::HashSet<_>>().len();
        assert!(distinct > 3 || (shape.channels < 4 && shape.blocks == 0), "case {case}: {shape:?}, {frames} frames, σ = {sigma}: only {distinct} distinct output values");
    }
}

#[test]
fn blob_round_trips() {
    let g = synthetic::network(3, Shape { channels: 8, blocks: 2, kernel: 3 });
    let bytes = blob::write(&g).unwrap();
    let back = blob::read(&bytes).unwrap();
    assert_eq!(back, g);
    assert_eq!(blob::write(&back).unwrap(), bytes);
    let model = engine::load(&bytes).unwrap();
    assert_eq!(model.prop("kantor.synthetic_seed"), Some("3"));
    assert_eq!(model.schedule(), g.schedule);
    assert_eq!(bytes.len() % 4, 0);
}

fn small_blob() -> Vec<u8> {
    blob::write(&synthetic::network(5, Shape { channels: 3, blocks: 1, kernel: 3 })).unwrap()
}

fn fix_crc(bytes: &mut [u8]) {
    let body = bytes.len() - format::CRC_BYTES;
    let crc = format::crc32(&bytes[..body]);
    bytes[body..].copy_from_slice(&crc.to_le_bytes());
}

#[test]
fn every_corrupted_byte_is_refused_or_harmless() {
    let good = small_blob();
    let frames = 8;
    let (x, meta) = synthetic::input(9, frames, 1.0);
    let mut ran = 0;
    for pos in 0..good.len() {
        for flip in [0x01u8, 0x80, 0xFF] {
            let mut bad = good.clone();
            bad[pos] ^= flip;
            // As stored: the CRC (or, for the CRC bytes themselves, the mismatch) refuses it.
            assert!(engine::load(&bad).is_err(), "byte {pos} ^ {flip:#x} accepted");
            // Even with a matching CRC, loading and running must not panic or read out of
            // bounds: either refused, or it runs.
            fix_crc(&mut bad);
            if let Ok(model) = engine::load(&bad) {
                if let Ok(plan) = kantor_core::engine::Plan::new(&model, frames) {
                    if plan.arena_bytes < 1 << 24 {
                        let mut net = Int8ScoreNet::new(&bad[..], vec![0u8; plan.arena_bytes], frames).unwrap();
                        let mut score = vec![0f32; VOICE_CHANNELS * frames];
                        let _ = net.run(&x, &meta, frames, 1.0, &mut score);
                        ran += 1;
                    }
                }
            }
        }
    }
    assert!(ran > 0, "no re-checksummed corruption was harmless; the test exercises nothing");
}

#[test]
fn truncated_and_foreign_blobs_are_refused() {
    let good = small_blob();
    for len in 0..good.len() {
        assert!(engine::load(&good[..len]).is_err(), "prefix of {len} bytes accepted");
    }
    let mut foreign = good.clone();
    foreign[0] = b'P';
    assert_eq!(engine::load(&foreign).unwrap_err(), BlobError::BadMagic);
    let mut newer = good.clone();
    newer[4..8].copy_from_slice(&(format::FORMAT_VERSION + 1).to_le_bytes());
    fix_crc(&mut newer);
    assert!(matches!(engine::load(&newer), Err(BlobError::FormatVersion { .. })));
    let mut other_encoding = good.clone();
    other_encoding[8..12].copy_from_slice(&(ENCODING_VERSION + 1).to_le_bytes());
    fix_crc(&mut other_encoding);
    assert!(matches!(engine::load(&other_encoding), Err(BlobError::EncodingVersion { .. })));
    let mut other_ranges = good.clone();
    other_ranges[24] += 1;
    fix_crc(&mut other_ranges);
    assert_eq!(engine::load(&other_ranges).unwrap_err(), BlobError::ForeignLayout);
    let mut crc = good.clone();
    *crc.last_mut().unwrap() ^= 1;
    assert!(matches!(engine::load(&crc), Err(BlobError::Crc { .. })));
    // Padding after the stated length (e.g. flash pages) is fine.
    let mut padded = good.clone();
    padded.extend_from_slice(&[0xFF; 13]);
    assert!(engine::load(&padded).is_ok());
}

#[test]
fn arena_is_checked_and_shared() {
    let g = synthetic::network(11, Shape { channels: 16, blocks: 3, kernel: 3 });
    let bytes = blob::write(&g).unwrap();
    let model = engine::load(&bytes).unwrap();
    let frames = 32;
    let plan = kantor_core::engine::Plan::new(&model, frames).unwrap();
    let all: usize = (0..g.tensors.len()).map(|t| plan.len[t] as usize * g.tensors[t].channels * g.tensors[t].elem.bytes()).sum();
    assert!(plan.scratch_offset < all / 2, "tensors take {} bytes of arena vs {} for all of them: no reuse", plan.scratch_offset, all);
    assert!(plan.arena_bytes > plan.scratch_offset + 2 * plan.scratch_len);
    match Int8ScoreNet::new(&bytes[..], vec![0u8; plan.arena_bytes - 1], frames) {
        Err(EngineError::ArenaTooSmall { needed, .. }) => assert_eq!(needed, plan.arena_bytes),
        other => panic!("expected ArenaTooSmall, got {:?}", other.err()),
    }
    // A plan made for fewer frames does not let a longer input overrun the arena.
    let mut net = Int8ScoreNet::new(&bytes[..], vec![0u8; plan.arena_bytes], frames).unwrap();
    let (x, meta) = synthetic::input(1, 2 * frames, 0.5);
    let mut score = vec![0f32; VOICE_CHANNELS * 2 * frames];
    assert!(matches!(net.run(&x, &meta, 2 * frames, 0.5, &mut score), Err(EngineError::ArenaTooSmall { .. })));
    assert!(matches!(net.run(&x, &meta, 2 * frames, f32::NAN, &mut score), Err(EngineError::BadSigma)));
    assert!(matches!(net.run(&x[..10], &meta, frames, 0.5, &mut score), Err(EngineError::BufferTooSmall { .. })));
}

/// The golden vectors shared with the firmware's own test (`firmware/tests/golden.rs`).
fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../firmware/tests/golden")
}

/// Network, input and reference output of the golden case for `head` (the reference's
/// integer output turned into the score in f32, as the engine does).
fn golden_case(head: kantor_core::Head) -> (Vec<u8>, Vec<u8>) {
    let mut g = synthetic::network(2024, Shape { channels: 12, blocks: 2, kernel: 3 });
    if head != kantor_core::Head::Score {
        g.props.push((crate::onnx::metadata::HEAD_PROP.into(), head.name().into()));
    }
    use super::qgraph::Elem;
    assert!(g.tensors.iter().any(|t| t.elem == Elem::I16) && g.tensors.iter().any(|t| t.elem == Elem::I8), "golden case should mix int8 and int16");
    let frames = 16usize;
    let sigma = g.schedule.sigma(4);
    let (x, meta) = synthetic::input(77, frames, sigma);
    let mut score = reference::run(&g, &x, &meta, frames, sigma).unwrap();
    head.to_score(&x, &mut score, frames, sigma);
    let mut case = Vec::new();
    case.extend_from_slice(&(frames as u32).to_le_bytes());
    case.extend_from_slice(&sigma.to_le_bytes());
    for v in x.iter().chain(&meta).chain(&score) {
        case.extend_from_slice(&v.to_le_bytes());
    }
    (blob::write(&g).unwrap(), case)
}

/// The committed golden vectors are what the reference computes today. Set
/// `KANTOR_BLESS_GOLDEN=1` to rewrite them after a deliberate format change.
#[test]
fn golden_vectors_are_current() {
    for (head, name) in [(kantor_core::Head::Score, "synthetic"), (kantor_core::Head::Categorical, "synthetic-categorical")] {
        let (blob_bytes, case) = golden_case(head);
        let dir = golden_dir();
        if std::env::var_os("KANTOR_BLESS_GOLDEN").is_some() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(format!("{name}.kq8")), &blob_bytes).unwrap();
            std::fs::write(dir.join(format!("{name}.case")), &case).unwrap();
        }
        assert_eq!(std::fs::read(dir.join(format!("{name}.kq8"))).unwrap(), blob_bytes, "{name}: blob writer changed");
        assert_eq!(std::fs::read(dir.join(format!("{name}.case"))).unwrap(), case, "{name}: reference changed");
    }
}
