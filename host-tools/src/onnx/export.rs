//! The score network as an ONNX graph (IR 8, opset 13, raw f32 initialisers).
//!
//! Inputs `x` `[N, 101, T]`, `meta` `[N, 23, T]`, `sigma` `[N, 1, 1]`; one output
//! `[N, 101, T]` named after what it holds (`kantor.head`): `score` for a score network
//! (the graph ends with `Div(f, sigma)`), `logits` for a categorical head, `denoised` for
//! EDM's preconditioned estimate; the sampler turns the last two into the score
//! ([`kantor_core::Head`]). The σ-only arithmetic is a separate scalar path —
//! `c_in = 1 / Sqrt(1 + sigma·sigma)` — feeding one `Mul` on `x`; the tensor path is
//! Concat, Conv, Relu and Add (the output layer reads `concat(relu(h), c_in·x)`).

use super::metadata::ModelInfo;
use crate::network::architecture::ConvLayer;
use crate::network::Network;
use kantor_core::onehot::{META_CHANNELS, VOICE_CHANNELS};
use kantor_core::Head;
use tract_onnx::pb::{
    attribute_proto::AttributeType, tensor_proto::DataType, tensor_shape_proto::dimension::Value as Dim, tensor_shape_proto::Dimension,
    type_proto, AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, StringStringEntryProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};

/// ONNX IR version written.
pub const IR_VERSION: i64 = 8;
/// Default-domain opset written.
pub const OPSET: i64 = 13;

fn value_info(name: &str, dims: [Dim; 3]) -> ValueInfoProto {
    let shape = TensorShapeProto { dim: dims.into_iter().map(|d| Dimension { value: Some(d), ..Default::default() }).collect() };
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor { elem_type: DataType::Float as i32, shape: Some(shape) })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn initializer(name: &str, dims: &[usize], values: &[f32]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: DataType::Float as i32,
        raw_data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..Default::default()
    }
}

fn ints(name: &str, values: &[i64]) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Ints as i32, ints: values.to_vec(), ..Default::default() }
}

fn int(name: &str, value: i64) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Int as i32, i: value, ..Default::default() }
}

/// Builds the graph's nodes one after another, naming every intermediate value.
struct GraphBuilder<'a> {
    net: &'a Network,
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
}

impl GraphBuilder<'_> {
    fn node(&mut self, op: &str, name: &str, inputs: &[&str], attributes: Vec<AttributeProto>) -> String {
        self.nodes.push(NodeProto {
            op_type: op.into(),
            name: name.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![name.to_string()],
            attribute: attributes,
            ..Default::default()
        });
        name.to_string()
    }

    fn conv(&mut self, layer: &ConvLayer, input: &str, name: &str) -> String {
        let arch = &self.net.arch;
        let (w, b) = (&arch.tensors[layer.weight], &arch.tensors[layer.bias]);
        self.initializers.push(initializer(&w.name, &w.shape, &self.net.params[w.range()]));
        self.initializers.push(initializer(&b.name, &b.shape, &self.net.params[b.range()]));
        let s = layer.shape;
        let pad = s.padding() as i64;
        let attributes = vec![
            ints("kernel_shape", &[s.kernel as i64]),
            ints("dilations", &[s.dilation as i64]),
            ints("strides", &[1]),
            ints("pads", &[pad, pad]),
            int("group", 1),
        ];
        self.node("Conv", name, &[input, &w.name, &b.name], attributes)
    }
}

/// The ONNX model of `net`, with `info` in its metadata.
pub fn export(net: &Network, info: &ModelInfo) -> ModelProto {
    let mut g = GraphBuilder { net, nodes: Vec::new(), initializers: vec![initializer("one", &[1, 1, 1], &[1.0])] };
    // Scalar path on sigma: c_in = 1 / sqrt(1 + sigma²).
    let sigma_sq = g.node("Mul", "sigma_squared", &["sigma", "sigma"], vec![]);
    let var = g.node("Add", "one_plus_sigma_squared", &[&sigma_sq, "one"], vec![]);
    let root = g.node("Sqrt", "sqrt_one_plus_sigma_squared", &[&var], vec![]);
    let c_in = g.node("Div", "c_in", &["one", &root], vec![]);
    // Tensor path.
    let x_in = g.node("Mul", "x_scaled", &["x", &c_in], vec![]);
    let input = g.node("Concat", "input", &[&x_in, "meta"], vec![int("axis", 1)]);
    let arch = net.arch.clone();
    let mut h = g.conv(&arch.conv_in, &input, "conv_in");
    for (i, block) in arch.blocks.iter().enumerate() {
        let a = g.node("Relu", &format!("blocks.{i}.relu_in"), &[&h], vec![]);
        let u = g.conv(&block.dilated, &a, &format!("blocks.{i}.dilated"));
        let v = g.node("Relu", &format!("blocks.{i}.relu_mid"), &[&u], vec![]);
        let w = g.conv(&block.pointwise, &v, &format!("blocks.{i}.pointwise"));
        h = g.node("Add", &format!("blocks.{i}.residual"), &[&h, &w], vec![]);
    }
    let r = g.node("Relu", "relu_out", &[&h], vec![]);
    let head = g.node("Concat", "head", &[&r, &x_in], vec![int("axis", 1)]);
    // A score network divides by σ in the graph; a network that estimates the clean
    // chorale ends at its output layer and the sampler's head makes the score.
    let output = match arch.config.head {
        Head::Score => {
            let f = g.conv(&arch.conv_out, &head, "conv_out");
            g.node("Div", "score", &[&f, "sigma"], vec![])
        }
        Head::Denoised => g.conv(&arch.conv_out, &head, "denoised"),
        Head::Categorical => g.conv(&arch.conv_out, &head, "logits"),
        Head::Posterior => g.conv(&arch.conv_out, &head, "prior_logits"),
    };

    let n = || Dim::DimParam("N".into());
    let t = || Dim::DimParam("T".into());
    let graph = GraphProto {
        name: "kantor_score_network".into(),
        node: g.nodes,
        initializer: g.initializers,
        input: vec![
            value_info("x", [n(), Dim::DimValue(VOICE_CHANNELS as i64), t()]),
            value_info("meta", [n(), Dim::DimValue(META_CHANNELS as i64), t()]),
            value_info("sigma", [n(), Dim::DimValue(1), Dim::DimValue(1)]),
        ],
        output: vec![value_info(&output, [n(), Dim::DimValue(VOICE_CHANNELS as i64), t()])],
        ..Default::default()
    };
    ModelProto {
        ir_version: IR_VERSION,
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: OPSET }],
        producer_name: "kantor".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        doc_string: format!("Noise-conditional score network over four-part chorales, f = net(concat(c_in(sigma) x, meta)): {}", net.arch.describe()),
        graph: Some(graph),
        metadata_props: info.to_props().into_iter().map(|(key, value)| StringStringEntryProto { key, value }).collect(),
        ..Default::default()
    }
}
