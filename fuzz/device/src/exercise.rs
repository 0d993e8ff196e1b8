// What each device fuzz target does with its input, as a board would. Shared (by
// `include!`) by the fuzz targets and by the regression test that replays every input
// that once failed (`tests/tests/e2e/fuzz_regressions.rs`). A panic is a finding.

use kantor_core::engine::format::{crc32, CRC_BYTES, HEADER_BYTES, MAGIC};
use kantor_core::engine::{self, Int8ScoreNet, ModelExt};
use kantor_core::onehot::{META_CHANNELS, VOICE_CHANNELS};
use kantor_core::player::{model_settings, Budget};
use kantor_core::sampler::settings::SamplerSettings;
use kantor_core::NoiseSchedule;

/// The fixed working memory of one evaluation (a board's static arena).
const ARENA: usize = 32 * 1024;
/// Bytes after the arena that must never be written.
const GUARD: usize = 4096;
/// Frames of the evaluation: few, so that the fuzzer spends its time on the blob's
/// structure rather than on multiply-adds (the arena is still planned for them).
const FRAMES: usize = 2;
const CANARY: u8 = 0xA5;

/// The int8 blob as a board meets it: load and validate it, read the sampler settings it
/// carries as the player does, and run one evaluation in a fixed arena, checking that nothing
/// is written past the arena. Most random bytes fail the CRC, so the CRC is then fixed up
/// and the blob loaded again: the fuzzer reaches everything behind the checksum.
pub fn blob(data: &[u8]) {
    // Blobs sit 4-byte aligned in flash.
    let mut words = vec![0u32; data.len().div_ceil(4)];
    // SAFETY: u8 has no alignment or validity requirement; the length is in bytes.
    let bytes = unsafe { core::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), words.len() * 4) };
    let blob = &mut bytes[..data.len()];
    blob.copy_from_slice(data);
    load_and_run(blob);
    if blob.len() >= HEADER_BYTES + CRC_BYTES && blob[..4] == MAGIC {
        let total = u32::from_le_bytes([blob[12], blob[13], blob[14], blob[15]]) as usize;
        if (HEADER_BYTES + CRC_BYTES..=blob.len()).contains(&total) {
            let crc = crc32(&blob[..total - CRC_BYTES]);
            blob[total - CRC_BYTES..total].copy_from_slice(&crc.to_le_bytes());
            load_and_run(blob);
        }
    }
}

fn load_and_run(blob: &[u8]) {
    let Ok(model) = engine::load(blob) else { return };
    // What the player does on start-up: its settings and their cost.
    let _ = model_settings(&model, Budget::default()).evaluations();
    let schedule = model.schedule();
    let mut memory = vec![CANARY; ARENA + GUARD];
    let (arena, guard) = memory.split_at_mut(ARENA);
    if let Ok(mut net) = Int8ScoreNet::new(blob, &mut arena[..], FRAMES) {
        let x: Vec<f32> = (0..VOICE_CHANNELS * FRAMES).map(|i| ((i * 7919) % 13) as f32 / 13.0).collect();
        let meta: Vec<f32> = (0..META_CHANNELS * FRAMES).map(|i| (i % 2) as f32).collect();
        let mut score = vec![0.0f32; VOICE_CHANNELS * FRAMES];
        // σ from the blob's own schedule: its scalar program runs on it.
        let sigma = if data_hint(blob) { schedule.sigma_max } else { schedule.sigma_min };
        let _ = net.run(&x, &meta, FRAMES, sigma, &mut score);
    }
    assert!(guard.iter().all(|&b| b == CANARY), "the engine wrote past its arena");
}

/// Which end of the schedule to evaluate at: from the length of the input (bytes past the
/// blob's stated length are ignored, as flash padding is), so both are tried.
fn data_hint(blob: &[u8]) -> bool {
    blob.len() % 2 == 1
}

/// The sampler settings text (`kantor.sampler` in a model's metadata), parsed over the
/// defaults: when it is accepted, its cost must be countable and its own text must read
/// back to the same settings.
pub fn sampler_settings(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else { return };
    let mut s = SamplerSettings::ncsn(NoiseSchedule::new(6.0, 0.1, 12));
    if s.apply_text(text).is_err() || !s.is_valid() {
        return;
    }
    let _ = s.evaluations();
    if !s.is_bounded() {
        return;
    }
    let line = s.text().to_string();
    let mut back = SamplerSettings::ncsn(NoiseSchedule::new(1.0, 0.5, 3));
    back.apply_text(&line).expect("a settings line reads back");
    assert_eq!(format!("{back:?}"), format!("{s:?}"), "{line}");
}
