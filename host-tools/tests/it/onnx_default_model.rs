//! The shipped model: it loads, describes itself, and denoises real validation chorales.

use kantor_core::onehot::VOICE_CHANNELS;
use kantor_core::ScoreNet;
use kantor_host::dataset::{Dataset, Split};
use kantor_host::network::weights::normal;
use kantor_host::onnx::OnnxScoreNet;
use kantor_host::train::data::{encode, excerpt};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::path::PathBuf;

fn models() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("models")
}

#[test]
fn shipped_model_denoises_bach() {
    let mut net = OnnxScoreNet::load(&models().join("default").join("model.onnx")).unwrap();
    let info = net.info().clone();
    assert!(info.parameters <= 250_000, "{} parameters do not fit the device", info.parameters);
    assert!(info.schedule.sigma_max > 10.0 && info.schedule.sigma_min < 0.2 && info.schedule.levels > 10);
    let data = Dataset::load(&models().join("bach-chorales.kds")).unwrap();
    let frames = 64;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    // σ²-weighted denoising loss ½·mean((σ·s + z)²): 0.5 for a network that knows nothing.
    for sigma in [0.5f32, 2.0, 8.0] {
        let (mut total, mut count) = (0.0f64, 0usize);
        for chorale in data.split(Split::Valid).filter(|c| c.frames.len() >= frames).take(8) {
            let w = encode(&excerpt(&chorale.frames, 0, frames));
            let z: Vec<f32> = w.voices.iter().map(|_| normal(&mut rng)).collect();
            let x: Vec<f32> = w.voices.iter().zip(&z).map(|(v, z)| v + sigma * z).collect();
            let mut s = vec![0.0; VOICE_CHANNELS * frames];
            net.score(&x, &w.meta, frames, sigma, &mut s).unwrap();
            total += s.iter().zip(&z).map(|(s, z)| 0.5 * ((sigma * s + z) as f64).powi(2)).sum::<f64>();
            count += s.len();
        }
        let loss = total / count as f64;
        assert!(loss < 0.15, "σ {sigma}: loss {loss}");
    }
}
