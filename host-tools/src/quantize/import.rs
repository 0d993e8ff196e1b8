//! Reading an ONNX score network into an [`FGraph`].
//!
//! Supported: `Conv` (1-D, group 1, any dilation/stride/explicit pads), `Relu`, `Add` of two
//! activations, `Mul`/`Div` of an activation by a per-channel or scalar constant or by a
//! σ-derived scalar, `Concat` on channels, `Resize`/`Upsample` (nearest, integer factor in
//! time), `Identity`; on σ and constants only: `Add Sub Mul Div Pow Sqrt Neg Reciprocal
//! Exp Log` and the shape ops `Reshape Unsqueeze Squeeze Flatten Expand Cast Identity`.
//! Anything else is refused with the op and the node's name and index.

use std::collections::HashMap;

use anyhow::{anyhow, bail, ensure, Context, Result};
use kantor_core::onehot::{META_CHANNELS, VOICE_CHANNELS};
use prost::Message;
use tract_onnx::pb::{self, tensor_proto::DataType, ModelProto, NodeProto, TensorProto};

use super::graph::{FGraph, FNode, FOp, Value};
use super::qgraph::{GraphInput, ScalarOp};

/// Decodes an ONNX file's bytes.
pub fn decode(bytes: &[u8]) -> Result<ModelProto> {
    ModelProto::decode(bytes).context("not an ONNX model (protobuf decoding failed)")
}

/// Reads a constant tensor as f32 (float, double and integer types).
fn tensor_data(t: &TensorProto) -> Result<(Vec<usize>, Vec<f32>)> {
    let dims: Vec<usize> = t.dims.iter().map(|&d| usize::try_from(d).map_err(|_| anyhow!("negative dimension in `{}`", t.name))).collect::<Result<_>>()?;
    let n: usize = dims.iter().product();
    let raw = &t.raw_data;
    let data: Vec<f32> = match DataType::try_from(t.data_type).unwrap_or(DataType::Undefined) {
        DataType::Float if !raw.is_empty() => raw.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(),
        DataType::Float => t.float_data.clone(),
        DataType::Double if !raw.is_empty() => raw.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap()) as f32).collect(),
        DataType::Double => t.double_data.iter().map(|&v| v as f32).collect(),
        DataType::Int64 if !raw.is_empty() => raw.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap()) as f32).collect(),
        DataType::Int64 => t.int64_data.iter().map(|&v| v as f32).collect(),
        DataType::Int32 if !raw.is_empty() => raw.chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().unwrap()) as f32).collect(),
        DataType::Int32 => t.int32_data.iter().map(|&v| v as f32).collect(),
        other => bail!("constant `{}` has unsupported element type {other:?}", t.name),
    };
    ensure!(data.len() == n, "constant `{}` holds {} values for shape {dims:?}", t.name, data.len());
    Ok((dims, data))
}

fn attr<'a>(node: &'a NodeProto, name: &str) -> Option<&'a pb::AttributeProto> {
    node.attribute.iter().find(|a| a.name == name)
}

fn attr_ints(node: &NodeProto, name: &str) -> Option<Vec<i64>> {
    attr(node, name).map(|a| a.ints.clone())
}

fn attr_int(node: &NodeProto, name: &str) -> Option<i64> {
    attr(node, name).map(|a| a.i)
}

fn attr_str(node: &NodeProto, name: &str) -> Option<String> {
    attr(node, name).map(|a| String::from_utf8_lossy(&a.s).into_owned())
}

/// One attribute that must have a single value (for 1-D convolutions).
fn one(v: Option<Vec<i64>>, default: usize, what: &str) -> Result<usize> {
    match v.as_deref() {
        None | Some([]) => Ok(default),
        Some([x]) if *x >= 0 => Ok(*x as usize),
        Some(other) => bail!("{what} {other:?} (only 1-D convolutions are supported)"),
    }
}

struct Importer {
    g: FGraph,
    names: HashMap<String, usize>,
}

impl Importer {
    fn value(&mut self, v: Value) -> usize {
        self.g.values.push(v);
        self.g.values.len() - 1
    }
    fn scalar(&mut self, op: ScalarOp) -> Result<u8> {
        self.g.scalars.push(op);
        ensure!(self.g.scalars.len() < 255, "the σ arithmetic is too long");
        Ok(self.g.scalars.len() as u8)
    }
    fn get(&self, name: &str) -> Result<usize> {
        self.names.get(name).copied().ok_or_else(|| anyhow!("value `{name}` is used before it is computed"))
    }
    /// A scalar register holding value `v` (a σ scalar, or a one-element constant).
    fn as_reg(&mut self, v: usize) -> Result<Option<u8>> {
        Ok(match &self.g.values[v] {
            Value::Scalar { reg } => Some(*reg),
            Value::Const { data, .. } if data.len() == 1 => {
                let c = data[0];
                Some(self.scalar(ScalarOp::Const(c))?)
            }
            _ => None,
        })
    }
    fn tensor_node(&mut self, op: FOp, channels: usize, name: &str, index: usize) -> usize {
        let output = self.value(Value::Tensor { channels });
        self.g.nodes.push(FNode { op, output, name: name.to_string(), index });
        output
    }
}

/// Per-channel factors of a constant that broadcasts against a `[N, channels, T]` tensor
/// along the channel axis only (or a single value).
fn channel_factors(dims: &[usize], data: &[f32], channels: usize) -> Option<Vec<f32>> {
    if data.len() == 1 {
        return Some(vec![data[0]; channels]);
    }
    // Trailing time axis must be 1; leading batch axis (if any) must be 1.
    let ok = match dims {
        [c, 1] => *c == channels,
        [1, c, 1] => *c == channels,
        _ => false,
    };
    ok.then(|| data.to_vec())
}

/// Reads an ONNX model into a float graph, refusing unsupported ops.
pub fn import(model: &ModelProto) -> Result<FGraph> {
    let graph = model.graph.as_ref().context("the ONNX model has no graph")?;
    // The ONNX file's checksum is of the ONNX file; the blob has its own.
    let props = model
        .metadata_props
        .iter()
        .filter(|p| p.key.starts_with("kantor.") && p.key != crate::onnx::CHECKSUM_PROP)
        .map(|p| (p.key.clone(), p.value.clone()))
        .collect();
    let mut im = Importer { g: FGraph { values: vec![], nodes: vec![], scalars: vec![], output: 0, props }, names: HashMap::new() };

    for t in &graph.initializer {
        let (dims, data) = tensor_data(t)?;
        let v = im.value(Value::Const { dims, data });
        im.names.insert(t.name.clone(), v);
    }
    for (k, input) in graph.input.iter().enumerate() {
        if im.names.contains_key(&input.name) {
            continue; // an initializer listed as input (older exporters)
        }
        let dims = input_dims(input);
        let channels = dims.get(1).copied().flatten();
        let role = match (input.name.as_str(), channels, dims.len()) {
            ("x", _, _) | (_, Some(VOICE_CHANNELS), 3) => Some(GraphInput::Voices),
            ("meta", _, _) | (_, Some(META_CHANNELS), 3) => Some(GraphInput::Meta),
            _ => None,
        };
        let v = match role {
            Some(r) => {
                let ch = if r == GraphInput::Voices { VOICE_CHANNELS } else { META_CHANNELS };
                im.tensor_node(FOp::Input(r), ch, &input.name, k)
            }
            None if input.name == "sigma" || dims.iter().skip(1).all(|d| *d == Some(1)) => im.value(Value::Scalar { reg: 0 }),
            None => bail!("graph input `{}` is neither the voices [N,{VOICE_CHANNELS},T], the metadata [N,{META_CHANNELS},T] nor σ [N,1,1]", input.name),
        };
        im.names.insert(input.name.clone(), v);
    }

    for (index, node) in graph.node.iter().enumerate() {
        let label = || format!("{} node `{}` (#{index})", node.op_type, node.name);
        let out = node_value(&mut im, node, index).with_context(label)?;
        let first = node.output.first().with_context(|| format!("{} has no output", label()))?;
        im.names.insert(first.clone(), out);
    }

    let out_name = &graph.output.first().context("the ONNX graph has no output")?.name;
    let output = im.get(out_name)?;
    ensure!(
        matches!(im.g.values[output], Value::Tensor { channels: VOICE_CHANNELS }),
        "the graph output `{out_name}` is not a score with {VOICE_CHANNELS} channels"
    );
    im.g.output = output;
    im.g.head()?;
    ensure!(im.g.nodes.iter().any(|n| matches!(n.op, FOp::Input(GraphInput::Voices))), "the graph has no voice input");
    Ok(im.g)
}

fn input_dims(v: &pb::ValueInfoProto) -> Vec<Option<usize>> {
    use pb::tensor_shape_proto::dimension::Value as D;
    use pb::type_proto::Value as T;
    match v.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(T::TensorType(t)) => t
            .shape
            .as_ref()
            .map(|s| s.dim.iter().map(|d| match d.value { Some(D::DimValue(n)) if n >= 0 => Some(n as usize), _ => None }).collect())
            .unwrap_or_default(),
        _ => vec![],
    }
}

/// The value a node computes.
/// The σ-program instruction for an ONNX arithmetic op whose operands are in registers
/// `r(0)` and `r(1)` (`None` when the op is not arithmetic). Constants are folded and σ is
/// evaluated through it, so both compute as the engine does.
fn scalar_op(op: &str, r: impl Fn(usize) -> Result<u8>) -> Result<Option<ScalarOp>> {
    Ok(Some(match op {
        "Add" => ScalarOp::Add(r(0)?, r(1)?),
        "Sub" => ScalarOp::Sub(r(0)?, r(1)?),
        "Mul" => ScalarOp::Mul(r(0)?, r(1)?),
        "Div" => ScalarOp::Div(r(0)?, r(1)?),
        "Pow" => ScalarOp::Pow(r(0)?, r(1)?),
        "Sqrt" => ScalarOp::Sqrt(r(0)?),
        "Neg" => ScalarOp::Neg(r(0)?),
        "Reciprocal" => ScalarOp::Recip(r(0)?),
        "Exp" => ScalarOp::Exp(r(0)?),
        "Log" => ScalarOp::Log(r(0)?),
        _ => return Ok(None),
    }))
}

fn node_value(im: &mut Importer, node: &NodeProto, index: usize) -> Result<usize> {
    let ins: Vec<usize> = node.input.iter().filter(|n| !n.is_empty()).map(|n| im.get(n)).collect::<Result<_>>()?;
    let kind = |v: usize| match &im.g.values[v] {
        Value::Tensor { .. } => 2,
        Value::Scalar { .. } => 1,
        Value::Const { .. } => 0,
    };
    let most = ins.iter().map(|&v| kind(v)).max().unwrap_or(0);
    let op = node.op_type.as_str();

    if op == "Constant" {
        let a = node.attribute.first().context("Constant without a value")?;
        let (dims, data) = match a.name.as_str() {
            "value" => tensor_data(a.t.as_ref().context("Constant value is not a tensor")?)?,
            "value_float" => (vec![], vec![a.f]),
            "value_floats" => (vec![a.floats.len()], a.floats.clone()),
            "value_int" => (vec![], vec![a.i as f32]),
            "value_ints" => (vec![a.ints.len()], a.ints.iter().map(|&v| v as f32).collect()),
            other => bail!("Constant with attribute `{other}`"),
        };
        return Ok(im.value(Value::Const { dims, data }));
    }
    let shape_op = matches!(op, "Reshape" | "Unsqueeze" | "Squeeze" | "Flatten" | "Expand" | "Cast" | "Identity");

    // Constants only: fold one-element arithmetic, pass shape ops through.
    if most == 0 {
        if shape_op {
            return Ok(ins[0]);
        }
        let (data_a, data_b) = {
            let get = |v: usize| match &im.g.values[v] {
                Value::Const { data, .. } if data.len() == 1 => Some(data[0]),
                _ => None,
            };
            (ins.first().and_then(|&v| get(v)), ins.get(1).and_then(|&v| get(v)))
        };
        let a = data_a.context("arithmetic on constants with more than one element")?;
        // Folded with the σ program's own arithmetic: registers 0 and 1 hold a and b.
        let regs = [a, data_b.unwrap_or(f32::NAN)];
        let unsupported = || anyhow!("unsupported op `{op}` on constants");
        let operand = |i: usize| if i == 0 || data_b.is_some() { Ok(i as u8) } else { Err(unsupported()) };
        let fold = scalar_op(op, operand)?.ok_or_else(unsupported)?;
        let v = fold.apply(&regs);
        return Ok(im.value(Value::Const { dims: vec![], data: vec![v] }));
    }

    // σ and constants: the scalar program.
    if most == 1 {
        if shape_op {
            return Ok(ins[0]);
        }
        let mut regs = Vec::new();
        for &v in &ins {
            regs.push(im.as_reg(v)?.context("arithmetic between σ and a constant with more than one element")?);
        }
        let r = |i: usize| regs.get(i).copied().ok_or_else(|| anyhow!("missing operand"));
        let s = scalar_op(op, r)?.ok_or_else(|| anyhow!("unsupported op `{op}` on σ"))?;
        let reg = im.scalar(s)?;
        return Ok(im.value(Value::Scalar { reg }));
    }

    // Activations.
    let name = node.name.as_str();
    let tensor_in = |k: usize| -> Result<usize> {
        let v = *ins.get(k).context("missing input")?;
        ensure!(kind(v) == 2, "input {k} must be an activation");
        Ok(v)
    };
    match op {
        "Identity" => Ok(tensor_in(0)?),
        "Relu" => {
            let input = tensor_in(0)?;
            let c = im.g.channels(input);
            Ok(im.tensor_node(FOp::Relu { input }, c, name, index))
        }
        "Conv" => {
            let input = tensor_in(0)?;
            let cin = im.g.channels(input);
            let (wdims, weight) = match ins.get(1).map(|&v| &im.g.values[v]) {
                Some(Value::Const { dims, data }) => (dims.clone(), data.clone()),
                _ => bail!("the weights must be a constant"),
            };
            ensure!(wdims.len() == 3, "weights of shape {wdims:?} (only 1-D convolutions are supported)");
            let (cout, wcin, kernel) = (wdims[0], wdims[1], wdims[2]);
            ensure!(attr_int(node, "group").unwrap_or(1) == 1 && wcin == cin, "grouped convolution (weights {wdims:?} on {cin} channels)");
            let bias = match ins.get(2).map(|&v| &im.g.values[v]) {
                None => vec![0.0; cout],
                Some(Value::Const { data, .. }) if data.len() == cout => data.clone(),
                Some(_) => bail!("the bias must be a constant of {cout} values"),
            };
            let dilation = one(attr_ints(node, "dilations"), 1, "dilations")?;
            let stride = one(attr_ints(node, "strides"), 1, "strides")?;
            ensure!(dilation >= 1 && stride >= 1, "dilation and stride must be positive");
            let auto_pad = attr_str(node, "auto_pad").unwrap_or_default();
            let span = dilation * (kernel - 1);
            let (pad_begin, pad_end) = match auto_pad.as_str() {
                "" | "NOTSET" => match attr_ints(node, "pads").as_deref() {
                    None => (0, 0),
                    Some([b, e]) if *b >= 0 && *e >= 0 => (*b as usize, *e as usize),
                    Some(p) => bail!("pads {p:?}"),
                },
                "VALID" => (0, 0),
                "SAME_UPPER" if stride == 1 => (span / 2, span - span / 2),
                "SAME_LOWER" if stride == 1 => (span - span / 2, span / 2),
                other => bail!("auto_pad {other} with stride {stride}"),
            };
            if let Some(ks) = attr_ints(node, "kernel_shape") {
                ensure!(ks == [kernel as i64], "kernel_shape {ks:?} disagrees with the weights");
            }
            let op = FOp::Conv { input, weight, bias, cin, cout, kernel, dilation, stride, pad_begin, pad_end };
            Ok(im.tensor_node(op, cout, name, index))
        }
        "Add" => {
            let (a, b) = (tensor_in(0)?, tensor_in(1).context("only the sum of two activations is supported")?);
            ensure!(im.g.channels(a) == im.g.channels(b), "sum of activations with {} and {} channels", im.g.channels(a), im.g.channels(b));
            let c = im.g.channels(a);
            Ok(im.tensor_node(FOp::Add { a, b }, c, name, index))
        }
        "Mul" | "Div" => {
            let (t, other) = if kind(ins[0]) == 2 { (ins[0], *ins.get(1).context("missing operand")?) } else { (ins[1], ins[0]) };
            ensure!(kind(other) != 2, "product of two activations");
            ensure!(op == "Mul" || kind(ins[0]) == 2, "dividing by an activation");
            let c = im.g.channels(t);
            match im.g.values[other].clone() {
                Value::Scalar { reg } => {
                    let reg = if op == "Div" { im.scalar(ScalarOp::Recip(reg))? } else { reg };
                    Ok(im.tensor_node(FOp::MulScalar { input: t, reg }, c, name, index))
                }
                Value::Const { dims, data } => {
                    let mut factors = channel_factors(&dims, &data, c).with_context(|| format!("constant of shape {dims:?} does not broadcast over the {c} channels"))?;
                    if op == "Div" {
                        factors.iter_mut().for_each(|f| *f = 1.0 / *f);
                    }
                    Ok(im.tensor_node(FOp::MulChannel { input: t, factors }, c, name, index))
                }
                Value::Tensor { .. } => unreachable!(),
            }
        }
        "Concat" => {
            let axis = attr_int(node, "axis").unwrap_or(1);
            ensure!(axis == 1 || axis == -2, "concatenation on axis {axis} (only channels, axis 1)");
            let inputs: Vec<usize> = (0..ins.len()).map(tensor_in).collect::<Result<_>>()?;
            let c = inputs.iter().map(|&i| im.g.channels(i)).sum();
            Ok(im.tensor_node(FOp::Concat { inputs }, c, name, index))
        }
        "Resize" | "Upsample" => {
            let input = tensor_in(0)?;
            let mode = attr_str(node, "mode").unwrap_or_else(|| "nearest".into());
            ensure!(mode == "nearest", "mode `{mode}` (only nearest)");
            // Upsample: (X, scales); Resize: (X, roi, scales[, sizes]).
            let scales_at = if op == "Upsample" { 1 } else { 2 };
            let scales = node.input.get(scales_at).filter(|n| !n.is_empty()).map(|n| im.get(n)).transpose()?;
            let data = match scales.map(|v| &im.g.values[v]) {
                Some(Value::Const { data, .. }) if !data.is_empty() => data.clone(),
                _ => bail!("needs constant scales (sizes are not supported)"),
            };
            ensure!(data.len() == 3 && data[0] == 1.0 && data[1] == 1.0, "scales {data:?} (only time can be resized)");
            let f = data[2];
            ensure!(f >= 1.0 && f.fract() == 0.0, "time scale {f} (only integer upsampling)");
            if let Some(mode) = attr_str(node, "coordinate_transformation_mode") {
                ensure!(matches!(mode.as_str(), "asymmetric" | "half_pixel" | "pytorch_half_pixel"), "coordinate_transformation_mode `{mode}`");
            }
            let c = im.g.channels(input);
            Ok(im.tensor_node(FOp::Resize { input, factor: f as usize }, c, name, index))
        }
        _ => bail!("unsupported op `{op}`"),
    }
}
