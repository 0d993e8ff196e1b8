//! `kantor quantize` on ONNX graphs: the exporter's graph, the same network written the way
//! PyTorch exports it, a graph with stride and upsampling, and refused ops.

use kantor_core::engine::{self, Int8ScoreNet, Plan};
use kantor_core::onehot::{META_CHANNELS, VOICE_CHANNELS};
use kantor_core::sampler::Gaussian;
use kantor_core::NoiseSchedule;
use kantor_host::network::{weights, Architecture, NetConfig, Network};
use kantor_host::onnx::{export, voice_ranges_text, ModelInfo, OnnxScoreNet};
use kantor_host::quantize::calibrate::{noisy_inputs, Observer, RangeMethod};
use kantor_host::quantize::graph::FGraph;
use kantor_host::quantize::{blob, import, lower, reference, synthetic};
use prost::Message;
use rand_core::SeedableRng;
use tract_onnx::pb::{attribute_proto::AttributeType, tensor_proto::DataType, AttributeProto, ModelProto, NodeProto, TensorProto};

fn info(parameters: usize) -> ModelInfo {
    ModelInfo {
        encoding_version: kantor_core::onehot::ENCODING_VERSION,
        voice_ranges: voice_ranges_text(),
        schedule: NoiseSchedule::new(10.0, 0.05, 10),
        steps_per_level: 3,
        epsilon: 1e-5,
        parameters,
        architecture: "test".into(),
        head: kantor_core::Head::Score,
    }
}

/// A small random network (random biases too), exported by `kantor export-onnx`'s code.
fn exported(seed: u64) -> (Network, ModelProto) {
    let arch = Architecture::new(NetConfig { channels: 12, kernel: 3, dilations: vec![1, 2, 4], head: kantor_core::Head::Score }).unwrap();
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut params = weights::initial_params(&arch, &mut rng);
    let mut g = Gaussian::new(seed);
    for b in [arch.conv_in.bias, arch.conv_out.bias].into_iter().chain(arch.blocks.iter().flat_map(|b| [b.dilated.bias, b.pointwise.bias])) {
        for v in &mut params[arch.tensors[b].range()] {
            *v = 0.1 * g.next();
        }
    }
    let net = Network::new(arch, params).unwrap();
    let proto = export::export(&net, &info(net.arch.parameters));
    (net, proto)
}

fn tract(proto: &ModelProto) -> OnnxScoreNet {
    OnnxScoreNet::from_bytes(&proto.encode_to_vec()).unwrap()
}

fn rel(a: &[f32], b: &[f32]) -> f64 {
    let d: f64 = a.iter().zip(b).map(|(x, y)| ((x - y) as f64).powi(2)).sum();
    let n: f64 = b.iter().map(|y| (*y as f64).powi(2)).sum();
    (d / n).sqrt()
}

/// The importer's float evaluation against tract on a few noisy inputs.
fn check_against_tract(g: &FGraph, proto: &ModelProto, frames: usize) {
    let mut t = tract(proto);
    for (k, sigma) in [8.0f32, 1.0, 0.07].into_iter().enumerate() {
        let (x, meta) = synthetic::input(k as u64, frames, sigma);
        let ours = g.run(&x, &meta, frames, sigma).swap_remove(g.output);
        let theirs = t.run(&x, &meta, frames, sigma).unwrap();
        assert!(rel(&ours, &theirs) < 1e-5, "σ {sigma}: importer vs tract {}", rel(&ours, &theirs));
    }
}

fn node(op: &str, name: &str, inputs: &[&str], attribute: Vec<AttributeProto>) -> NodeProto {
    NodeProto {
        op_type: op.into(),
        name: name.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![name.to_string()],
        attribute,
        ..Default::default()
    }
}

fn tensor_attr(name: &str, dims: &[i64], values: &[f32]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Tensor as i32,
        t: Some(TensorProto { dims: dims.to_vec(), data_type: DataType::Float as i32, float_data: values.to_vec(), ..Default::default() }),
        ..Default::default()
    }
}

fn int64s(name: &str, values: &[i64]) -> TensorProto {
    TensorProto { name: name.into(), dims: vec![values.len() as i64], data_type: DataType::Int64 as i32, int64_data: values.to_vec(), ..Default::default() }
}

/// Rewrites the exporter's σ arithmetic and output the way `torch.onnx.export` writes
/// `x * (1 + sigma**2) ** -0.5` and `f * sigma.reciprocal()`: Constant nodes, Pow,
/// Reshape, operands in the other order, Identity.
fn pytorch_style(mut proto: ModelProto) -> ModelProto {
    let g = proto.graph.as_mut().unwrap();
    let sigma_nodes = ["sigma_squared", "one_plus_sigma_squared", "sqrt_one_plus_sigma_squared", "c_in"];
    g.node.retain(|n| !sigma_nodes.contains(&n.name.as_str()) && n.name != "score");
    g.initializer.retain(|t| t.name != "one");
    g.initializer.push(int64s("shape_n11", &[-1, 1, 1]));
    let mut front = vec![
        node("Constant", "two", &[], vec![tensor_attr("value", &[], &[2.0])]),
        node("Constant", "one_c", &[], vec![tensor_attr("value", &[1], &[1.0])]),
        node("Constant", "minus_half", &[], vec![tensor_attr("value", &[], &[-0.5])]),
        node("Reshape", "sigma_r", &["sigma", "shape_n11"], vec![]),
        node("Pow", "sigma_sq", &["sigma_r", "two"], vec![]),
        node("Add", "var", &["one_c", "sigma_sq"], vec![]),
        node("Pow", "cin", &["var", "minus_half"], vec![]),
        node("Mul", "x_scaled", &["cin", "x"], vec![]),
    ];
    g.node.retain(|n| n.name != "x_scaled");
    front.append(&mut g.node);
    g.node = front;
    g.node.push(node("Reciprocal", "inv_sigma", &["sigma_r"], vec![]));
    g.node.push(node("Identity", "f", &["conv_out"], vec![]));
    g.node.push(node("Mul", "score", &["f", "inv_sigma"], vec![]));
    proto
}

#[test]
fn exporter_graph_imports_and_matches_tract() {
    let (net, proto) = exported(1);
    let g = import::import(&proto).unwrap();
    check_against_tract(&g, &proto, 24);
    // And against the training code's own forward pass.
    let (x, meta) = synthetic::input(5, 16, 0.5);
    let ours = g.run(&x, &meta, 16, 0.5).swap_remove(g.output);
    assert!(rel(&ours, &net.score_one(&x, &meta, 16, 0.5)) < 1e-5);
}

#[test]
fn pytorch_style_graph_gives_the_same_network() {
    let (_, proto) = exported(2);
    let torch = pytorch_style(proto.clone());
    let (a, b) = (import::import(&proto).unwrap(), import::import(&torch).unwrap());
    check_against_tract(&b, &torch, 20);
    let (x, meta) = synthetic::input(3, 20, 2.0);
    let (sa, sb) = (a.run(&x, &meta, 20, 2.0).swap_remove(a.output), b.run(&x, &meta, 20, 2.0).swap_remove(b.output));
    assert!(rel(&sb, &sa) < 1e-5);
    // Both lower to the same integer ops (σ folded into quantise/dequantise).
    let q = quantise(&b, 20);
    let kinds: Vec<&str> = q.ops.iter().map(|o| o.name()).collect();
    assert_eq!(kinds.first(), Some(&"quantize"));
    assert_eq!(kinds.last(), Some(&"output"));
    assert!(!kinds.contains(&"mul-scalar"), "σ multiplies must fold into the ends: {kinds:?}");
    assert_eq!(kinds, quantise(&a, 20).ops.iter().map(|o| o.name()).collect::<Vec<_>>());
}

/// Calibrates `g` on synthetic noisy inputs and lowers it.
fn quantise(g: &FGraph, frames: usize) -> kantor_host::quantize::qgraph::QGraph {
    quantise_at(g, frames, NoiseSchedule::new(10.0, 0.05, 10))
}

/// Calibrates `g` at the levels of `schedule` and lowers it.
fn quantise_at(g: &FGraph, frames: usize, schedule: NoiseSchedule) -> kantor_host::quantize::qgraph::QGraph {
    let mut obs = Observer::new(g, 7);
    for level in 0..schedule.levels {
        for k in 0..4 {
            let (x, meta) = synthetic::input(100 * level as u64 + k, frames, schedule.sigma(level));
            obs.observe(g, &g.run(&x, &meta, frames, schedule.sigma(level)));
        }
    }
    lower::lower(g, &obs.ranges(RangeMethod::MinMax), schedule, true, &[]).unwrap()
}

#[test]
fn quantised_network_tracks_the_float_one() {
    let (_, proto) = exported(3);
    let g = import::import(&proto).unwrap();
    let frames = 32;
    let q = quantise(&g, frames);
    // Folding: every block's inner ReLU goes into its conv's clamp, and the final ReLU into
    // the last residual add; only the ReLUs on the residual stream remain as ops.
    assert_eq!(q.ops.iter().filter(|o| o.name() == "rescale").count(), 3);
    let bytes = blob::write(&q).unwrap();
    let model = engine::load(&bytes).unwrap();
    let arena = Plan::new(&model, frames).unwrap().arena_bytes;
    let mut net = Int8ScoreNet::new(&bytes[..], vec![0u8; arena], frames).unwrap();
    let schedule = NoiseSchedule::new(10.0, 0.05, 10);
    let windows: Vec<_> = (0..3u64)
        .map(|k| {
            let (x, meta) = synthetic::input(900 + k, frames, 0.0);
            kantor_host::train::data::Window { voices: x, meta }
        })
        .collect();
    for input in noisy_inputs(&windows, &schedule, &[0, 5, 9], 4) {
        let want = g.run(&input.x, &input.meta, frames, input.sigma).swap_remove(g.output);
        let mut got = vec![0f32; VOICE_CHANNELS * frames];
        net.run(&input.x, &input.meta, frames, input.sigma, &mut got).unwrap();
        let r = rel(&got, &want);
        assert!(r < 0.15, "σ {}: int8 vs f32 relative error {r}", input.sigma);
        // The engine and the reference interpreter agree exactly on the real network too.
        let refr = reference::run(&q, &input.x, &input.meta, frames, input.sigma).unwrap();
        assert_eq!(got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), refr.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
    }
}

/// A hand-written graph with a strided conv, nearest upsampling and a per-channel scale.
fn strided_graph() -> ModelProto {
    let mut g = Gaussian::new(42);
    let mut w = |n: usize, s: f32| (0..n).map(|_| s * g.next()).collect::<Vec<f32>>();
    let c = 6;
    let cin = VOICE_CHANNELS + META_CHANNELS;
    let init = |name: &str, dims: &[i64], v: Vec<f32>| TensorProto { name: name.into(), dims: dims.to_vec(), data_type: DataType::Float as i32, float_data: v, ..Default::default() };
    let ints = |name: &str, v: &[i64]| AttributeProto { name: name.into(), r#type: AttributeType::Ints as i32, ints: v.to_vec(), ..Default::default() };
    let initializer = vec![
        init("w1", &[c as i64, cin as i64, 3], w(c * cin * 3, 0.2)),
        init("b1", &[c as i64], w(c, 0.1)),
        init("scale", &[c as i64, 1], w(c, 1.0)),
        init("w2", &[VOICE_CHANNELS as i64, c as i64, 1], w(VOICE_CHANNELS * c, 0.5)),
        init("b2", &[VOICE_CHANNELS as i64], w(VOICE_CHANNELS, 0.1)),
        init("scales", &[3], vec![1.0, 1.0, 2.0]),
    ];
    let nodes = vec![
        node("Concat", "input", &["x", "meta"], vec![AttributeProto { name: "axis".into(), r#type: AttributeType::Int as i32, i: 1, ..Default::default() }]),
        node("Conv", "down", &["input", "w1", "b1"], vec![ints("kernel_shape", &[3]), ints("strides", &[2]), ints("pads", &[1, 1])]),
        node("Mul", "scaled", &["down", "scale"], vec![]),
        node("Relu", "act", &["scaled"], vec![]),
        node("Resize", "up", &["act", "", "scales"], vec![AttributeProto { name: "mode".into(), r#type: AttributeType::String as i32, s: b"nearest".to_vec(), ..Default::default() }]),
        node("Conv", "out", &["up", "w2", "b2"], vec![ints("kernel_shape", &[1])]),
        node("Div", "score", &["out", "sigma"], vec![]),
    ];
    let (_, mut proto) = exported(0);
    let graph = proto.graph.as_mut().unwrap();
    graph.node = nodes;
    graph.initializer = initializer;
    proto
}

#[test]
fn stride_upsampling_and_channel_scales() {
    let proto = strided_graph();
    let g = import::import(&proto).unwrap();
    check_against_tract(&g, &proto, 16);
    // No c_in in this graph: calibrate over the σ range it is tested at.
    let q = quantise_at(&g, 16, NoiseSchedule::new(0.6, 0.2, 4));
    let kinds: Vec<&str> = q.ops.iter().map(|o| o.name()).collect();
    assert!(kinds.contains(&"resize") && kinds.contains(&"mul-channel"), "{kinds:?}");
    for sigma in [0.5f32, 0.25] {
        let (x, meta) = synthetic::input(8, 16, sigma);
        let want = g.run(&x, &meta, 16, sigma).swap_remove(g.output);
        let got = reference::run(&q, &x, &meta, 16, sigma).unwrap();
        assert!(rel(&got, &want) < 0.1, "σ {sigma}: {}", rel(&got, &want));
        let bytes = blob::write(&q).unwrap();
        let mut net = Int8ScoreNet::new(&bytes[..], vec![0u8; 1 << 16], 16).unwrap();
        let mut out = vec![0f32; VOICE_CHANNELS * 16];
        net.run(&x, &meta, 16, sigma, &mut out).unwrap();
        assert_eq!(out, got);
    }
}

#[test]
fn unsupported_ops_are_refused_by_name() {
    let (_, mut proto) = exported(4);
    let graph = proto.graph.as_mut().unwrap();
    let index = graph.node.iter().position(|n| n.name == "blocks.1.relu_mid").unwrap();
    graph.node[index].op_type = "Sigmoid".into();
    let err = format!("{:#}", import::import(&proto).unwrap_err());
    assert!(err.contains("Sigmoid") && err.contains("blocks.1.relu_mid") && err.contains(&format!("#{index}")), "{err}");

    // A product of two activations is refused too, naming the node.
    let (_, mut proto) = exported(4);
    let graph = proto.graph.as_mut().unwrap();
    let index = graph.node.iter().position(|n| n.name == "blocks.0.residual").unwrap();
    graph.node[index].op_type = "Mul".into();
    let err = format!("{:#}", import::import(&proto).unwrap_err());
    assert!(err.contains("blocks.0.residual") && err.contains("two activations"), "{err}");

    // Not ONNX at all.
    assert!(import::decode(b"definitely not protobuf \xff\xff\xff").is_err());
}

#[test]
fn two_term_weights_add_precision() {
    let (_, proto) = exported(6);
    let g = import::import(&proto).unwrap();
    let frames = 24;
    let schedule = NoiseSchedule::new(10.0, 0.05, 10);
    let mut obs = Observer::new(&g, 7);
    for level in 0..schedule.levels {
        let (x, meta) = synthetic::input(300 + level as u64, frames, schedule.sigma(level));
        obs.observe(&g, &g.run(&x, &meta, frames, schedule.sigma(level)));
    }
    let ranges = obs.ranges(RangeMethod::MinMax);
    let convs: Vec<usize> = g.nodes.iter().enumerate().filter(|(_, n)| matches!(n.op, kantor_host::quantize::graph::FOp::Conv { .. })).map(|(i, _)| i).collect();
    let plain = lower::lower(&g, &ranges, schedule, true, &[]).unwrap();
    let split = lower::lower(&g, &ranges, schedule, true, &convs).unwrap();
    // Each split conv becomes two convs and a sum.
    let count = |q: &kantor_host::quantize::qgraph::QGraph, name: &str| q.ops.iter().filter(|o| o.name() == name).count();
    assert_eq!(count(&split, "conv"), 2 * count(&plain, "conv"));
    assert_eq!(count(&split, "add"), count(&plain, "add") + convs.len());
    let (mut e_plain, mut e_split) = (0.0, 0.0);
    for k in 0..4u64 {
        let sigma = schedule.sigma(3 * k as usize);
        let (x, meta) = synthetic::input(500 + k, frames, sigma);
        let want = g.run(&x, &meta, frames, sigma).swap_remove(g.output);
        e_plain += rel(&reference::run(&plain, &x, &meta, frames, sigma).unwrap(), &want);
        let got = reference::run(&split, &x, &meta, frames, sigma).unwrap();
        e_split += rel(&got, &want);
        // The engine runs the split network bit-exactly too.
        let bytes = blob::write(&split).unwrap();
        let mut net = Int8ScoreNet::new(&bytes[..], vec![0u8; 1 << 17], frames).unwrap();
        let mut out = vec![0f32; VOICE_CHANNELS * frames];
        net.run(&x, &meta, frames, sigma, &mut out).unwrap();
        assert_eq!(out, got);
    }
    assert!(e_split < e_plain, "two-term weights {e_split} vs int8 weights {e_plain}");
}
