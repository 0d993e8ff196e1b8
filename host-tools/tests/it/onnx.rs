//! ONNX export: tract running the exported file agrees with the network it came from.

use crate::train_support;

use kantor_core::onehot::VOICE_CHANNELS;
use kantor_core::ScoreNet;
use kantor_host::dataset::Split;
use kantor_host::network::weights::normal;
use kantor_host::onnx::{export_run, voice_ranges_text, OnnxScoreNet};
use kantor_host::train::checkpoint::load_network;
use kantor_host::train::config::TrainConfig;
use kantor_host::train::data::{encode, excerpt};
use kantor_host::train::{train, Limits};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use train_support::made_up_dataset;

#[test]
fn tract_matches_the_trained_network() {
    let data = made_up_dataset();
    let run = tempfile::tempdir().unwrap();
    let config = TrainConfig { steps: 40, ..TrainConfig::smoke() };
    train(&data, run.path(), Some(config), Limits::default()).unwrap();
    let path = run.path().join("exported").join("model.onnx");
    std::fs::create_dir(run.path().join("exported")).unwrap();
    let size = export_run(run.path(), &path).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len() as usize, size);

    let (net, config) = load_network(run.path()).unwrap();
    let mut onnx = OnnxScoreNet::load(&path).unwrap();
    let info = onnx.info().clone();
    assert_eq!(info.parameters, net.arch.parameters);
    assert_eq!(info.schedule.sigma_max, config.sigma_max as f32);
    assert_eq!(info.schedule.levels, config.sampler.levels);
    assert!(info.schedule.levels > 1 && info.epsilon > 0.0);
    assert_eq!(info.voice_ranges, voice_ranges_text());

    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    let valid: Vec<_> = data.split(Split::Valid).collect();
    // Several lengths (the plan is rebuilt when the length changes) and noise levels.
    for (i, (frames, sigma)) in [(32, 0.07f32), (32, 1.0), (48, 5.0), (17, 15.0), (32, 0.3)].into_iter().enumerate() {
        let window = encode(&excerpt(&valid[i % valid.len()].frames, 3, frames));
        let x: Vec<f32> = window.voices.iter().map(|v| v + sigma * normal(&mut rng)).collect();
        let want = net.score_one(&x, &window.meta, frames, sigma);
        let mut got = vec![0.0; VOICE_CHANNELS * frames];
        onnx.score(&x, &window.meta, frames, sigma, &mut got).unwrap();
        let worst = want.iter().zip(&got).map(|(a, b)| (a - b).abs() / a.abs().max(1.0)).fold(0.0f32, f32::max);
        assert!(worst < 1e-4, "frames {frames}, σ {sigma}: largest difference {worst}");
    }
}

#[test]
fn refuses_foreign_models() {
    let data = made_up_dataset();
    let run = tempfile::tempdir().unwrap();
    train(&data, run.path(), Some(TrainConfig { steps: 2, ..TrainConfig::smoke() }), Limits::default()).unwrap();
    let path = run.path().join("model.onnx");
    export_run(run.path(), &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    // Another encoding version: the same bytes with the version string changed.
    let needle = [b"kantor.encoding_version\x12\x01".as_slice(), kantor_core::onehot::ENCODING_VERSION.to_string().as_bytes()].concat();
    let at = bytes.windows(needle.len()).position(|w| w == needle).expect("version entry present");
    let mut other = bytes.clone();
    other[at + needle.len() - 1] = b'7';
    // Changed by hand, the model no longer matches its checksum.
    let err = OnnxScoreNet::from_bytes(&other).unwrap_err();
    assert!(format!("{err:#}").contains("the model is damaged"), "{err:#}");
    // Made for another encoding (and stamped), it is refused for that.
    let mut proto = <tract_onnx::pb::ModelProto as prost::Message>::decode(&other[..]).unwrap();
    kantor_host::onnx::checksum::stamp(&mut proto);
    let other = prost::Message::encode_to_vec(&proto);
    let err = OnnxScoreNet::from_bytes(&other).unwrap_err();
    assert!(format!("{err:#}").contains("encoding version"), "{err:#}");
    assert!(OnnxScoreNet::from_bytes(&bytes[..bytes.len() / 2]).is_err());
    assert!(OnnxScoreNet::from_bytes(&bytes).is_ok());
}
