//! The engine against golden vectors computed by the host's reference interpreter
//! (`kantor_host::quantize::reference`): a synthetic network that uses every op, one noisy
//! input, and the expected score, which must match bit for bit.

use kantor_core::engine::{self, Aligned, Int8ScoreNet, ModelExt, Plan};
use kantor_core::onehot::{META_CHANNELS, VOICE_CHANNELS};
use kantor_core::ScoreNet;

static BLOB: &Aligned<[u8]> = &Aligned(*include_bytes!("golden/synthetic.kq8"));
static CASE: &[u8] = include_bytes!("golden/synthetic.case");
/// The same network with a categorical head: logits turned into the score in f32.
static CATEGORICAL_BLOB: &Aligned<[u8]> = &Aligned(*include_bytes!("golden/synthetic-categorical.kq8"));
static CATEGORICAL_CASE: &[u8] = include_bytes!("golden/synthetic-categorical.case");

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

#[test]
fn engine_reproduces_the_golden_vectors() {
    check(&BLOB.0, CASE);
}

#[test]
fn engine_reproduces_the_categorical_golden_vectors() {
    let model = engine::load(&CATEGORICAL_BLOB.0).unwrap();
    assert_eq!(model.head(), Some(kantor_core::Head::Categorical));
    check(&CATEGORICAL_BLOB.0, CATEGORICAL_CASE);
}

fn check(blob: &[u8], case: &[u8]) {
    let frames = u32::from_le_bytes(case[0..4].try_into().unwrap()) as usize;
    let sigma = f32::from_le_bytes(case[4..8].try_into().unwrap());
    let values = f32s(&case[8..]);
    let (x, rest) = values.split_at(VOICE_CHANNELS * frames);
    let (meta, want) = rest.split_at(META_CHANNELS * frames);
    assert_eq!(want.len(), VOICE_CHANNELS * frames);

    let model = engine::load(blob).unwrap();
    let arena_bytes = Plan::new(&model, frames).unwrap().arena_bytes;
    let mut arena = vec![0u8; arena_bytes];
    let mut net = Int8ScoreNet::new(blob, &mut arena[..], frames).unwrap();
    let mut score = vec![0f32; VOICE_CHANNELS * frames];
    // Twice: the second run reuses the plan and must not depend on leftovers in the arena.
    for _ in 0..2 {
        net.score(x, meta, frames, sigma, &mut score).unwrap();
        for (i, (g, w)) in score.iter().zip(want).enumerate() {
            assert_eq!(g.to_bits(), w.to_bits(), "score[{i}]: {g} vs golden {w}");
        }
    }
}
