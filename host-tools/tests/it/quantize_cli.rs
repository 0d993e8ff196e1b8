//! `kantor quantize` end to end: a small exported network and the shipped dataset in, the
//! blob, its size constants and the report out.

use std::path::{Path, PathBuf};

use kantor_core::engine::{self, ModelExt, Plan};
use kantor_core::NoiseSchedule;
use kantor_host::network::{weights, Architecture, NetConfig, Network};
use kantor_host::onnx::{export, voice_ranges_text, ModelInfo};
use kantor_host::quantize::{run, QuantizeArgs};
use prost::Message;
use rand_core::SeedableRng;

fn dataset() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/bach-chorales.kds")
}

/// Writes a small random network as ONNX into `dir`.
fn small_model(dir: &Path, rename_relu_to: Option<&str>) -> PathBuf {
    let arch = Architecture::new(NetConfig { channels: 8, kernel: 3, dilations: vec![1, 2], head: kantor_core::Head::Score }).unwrap();
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(9);
    let params = weights::initial_params(&arch, &mut rng);
    let net = Network::new(arch, params).unwrap();
    let info = ModelInfo {
        encoding_version: kantor_core::onehot::ENCODING_VERSION,
        voice_ranges: voice_ranges_text(),
        schedule: NoiseSchedule::new(10.0, 0.05, 8),
        steps_per_level: 2,
        epsilon: 1e-5,
        parameters: net.arch.parameters,
        architecture: net.arch.describe(),
        head: net.arch.config.head,
    };
    let mut proto = export::export(&net, &info);
    if let Some(op) = rename_relu_to {
        let g = proto.graph.as_mut().unwrap();
        g.node.iter_mut().find(|n| n.op_type == "Relu").unwrap().op_type = op.into();
    }
    let path = dir.join("model.onnx");
    std::fs::write(&path, proto.encode_to_vec()).unwrap();
    path
}

fn args(model: PathBuf, output: PathBuf) -> QuantizeArgs {
    QuantizeArgs {
        model,
        output,
        calibration_data: dataset(),
        ranges: "auto".into(),
        windows: 2,
        eval_windows: 2,
        frames: 32,
        trajectories: 1,
        seed: 1,
        sensitivity: false,
        int8_only: false,
        split_threshold: 0.01,
    }
}

#[test]
fn quantize_writes_blob_sizes_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let model = small_model(dir.path(), None);
    let out = dir.path().join("out/model.kq8");
    std::fs::create_dir(dir.path().join("out")).unwrap();
    run(args(model, out.clone())).unwrap();

    let blob = std::fs::read(&out).unwrap();
    let m = engine::load(&blob).unwrap();
    assert_eq!(m.schedule(), NoiseSchedule::new(10.0, 0.05, 8));
    assert_eq!(m.prop("kantor.steps_per_level"), Some("2"), "metadata copied from the ONNX file");

    // The size constants a board includes agree with the engine's own plan.
    let sizes = std::fs::read_to_string(dir.path().join("out/model_sizes.rs")).unwrap();
    let arena64 = Plan::new(&m, 64).unwrap().arena_bytes;
    assert!(sizes.contains(&format!("pub const ARENA_BYTES_64: usize = {arena64};")), "{sizes}");
    assert!(sizes.contains(&format!("pub const MODEL_BYTES: usize = {};", blob.len())));

    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/quantization.json")).unwrap()).unwrap();
    assert_eq!(report["blob_bytes"].as_u64(), Some(blob.len() as u64));
    let methods = report["methods"].as_array().unwrap();
    assert_eq!(methods.len(), 24, "2 calibration sets × 3 activation types × 4 range methods");
    assert_eq!(methods.iter().filter(|m| m["chosen"] == true).count(), 1);
    let agreement = report["agreement"].as_array().unwrap();
    assert_eq!(agreement.len(), 8, "every level of an 8-level schedule");
    let mean = report["mean_relative_error"].as_f64().unwrap();
    assert!(mean > 0.0 && mean < 0.5, "relative error {mean}");
    assert!(report["float_graph_vs_tract"].as_f64().unwrap() < 1e-4);
}

#[test]
fn int8_only_keeps_every_activation_int8() {
    let dir = tempfile::tempdir().unwrap();
    let model = small_model(dir.path(), None);
    let out = dir.path().join("model.kq8");
    let mut a = args(model, out.clone());
    a.int8_only = true;
    a.ranges = "99.9".into();
    a.trajectories = 0;
    run(a).unwrap();
    let g = kantor_host::quantize::blob::read(&std::fs::read(&out).unwrap()).unwrap();
    assert!(g.tensors.iter().all(|t| t.elem == kantor_host::quantize::qgraph::Elem::I8));
}

#[test]
fn bad_inputs_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("model.kq8");
    let missing = format!("{:#}", run(args(dir.path().join("nope.onnx"), out.clone())).unwrap_err());
    assert!(missing.contains("nope.onnx"), "{missing}");

    let model = small_model(dir.path(), Some("Softplus"));
    let refused = format!("{:#}", run(args(model.clone(), out.clone())).unwrap_err());
    assert!(refused.contains("Softplus") && refused.contains("blocks.0.relu_in"), "{refused}");

    let mut a = args(small_model(dir.path(), None), out.clone());
    a.ranges = "lots".into();
    assert!(format!("{:#}", run(a).unwrap_err()).contains("--ranges"));
    let mut a = args(model, out.clone());
    a.calibration_data = dir.path().join("missing.kds");
    assert!(run(a).is_err());
    assert!(!out.exists(), "nothing is written on failure");
}
