//! Parameter vectors on disk (safetensors, conv weights `[cout, cin, kernel]`) and their
//! initialisation.

use super::architecture::Architecture;
use anyhow::{bail, Context};
use rand_core::Rng;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::HashMap;

/// A 53-bit uniform draw in [0, 1).
pub fn uniform(rng: &mut impl Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A standard normal sample (Box–Muller).
pub fn normal(rng: &mut impl Rng) -> f32 {
    // 53-bit uniform in (0, 1]; never 0 so the logarithm is finite.
    let u1 = ((rng.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64;
    let u2 = uniform(rng);
    ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
}

/// A fresh parameter vector: He-normal convolution weights, zero biases; each residual
/// branch's closing 1×1 convolution is scaled by `1/sqrt(blocks)` so the residual stream
/// keeps its scale at initialisation, and the output convolution starts at a tenth of
/// its He scale so the untrained network's output is small (loss near ½ at every σ).
pub fn initial_params(arch: &Architecture, rng: &mut impl Rng) -> Vec<f32> {
    let mut params = vec![0.0; arch.parameters];
    let branch_scale = 1.0 / (arch.blocks.len().max(1) as f32).sqrt();
    let mut layers = vec![(arch.conv_in, 1.0), (arch.conv_out, 0.1)];
    for b in &arch.blocks {
        layers.push((b.dilated, 1.0));
        layers.push((b.pointwise, branch_scale));
    }
    for (layer, scale) in layers {
        let std = (2.0 / layer.shape.rows() as f32).sqrt() * scale;
        for w in &mut params[arch.tensors[layer.weight].range()] {
            *w = normal(rng) * std;
        }
    }
    params
}

/// Serialises parameter-shaped vectors as safetensors: vector `prefix` stores tensor
/// `name` under `"{prefix}{name}"`. `metadata` goes into the header.
pub fn to_safetensors(arch: &Architecture, groups: &[(&str, &[f32])], metadata: HashMap<String, String>) -> anyhow::Result<Vec<u8>> {
    let bytes: Vec<Vec<u8>> = groups
        .iter()
        .map(|(_, v)| {
            assert_eq!(v.len(), arch.parameters, "vector does not match the architecture");
            v.iter().flat_map(|x| x.to_le_bytes()).collect()
        })
        .collect();
    let mut views = Vec::new();
    for ((prefix, _), data) in groups.iter().zip(&bytes) {
        for t in &arch.tensors {
            let slice = &data[t.offset * 4..(t.offset + t.len()) * 4];
            views.push((format!("{prefix}{}", t.name), TensorView::new(Dtype::F32, t.shape.clone(), slice)?));
        }
    }
    Ok(safetensors::serialize(views, Some(metadata))?)
}

/// The header metadata of a safetensors buffer.
pub fn safetensors_metadata(buffer: &[u8]) -> anyhow::Result<HashMap<String, String>> {
    let (_, meta) = SafeTensors::read_metadata(buffer).context("not a safetensors file")?;
    Ok(meta.metadata().clone().unwrap_or_default())
}

/// Reads the vector stored under `prefix` (see [`to_safetensors`]), checking every shape.
pub fn from_safetensors(arch: &Architecture, buffer: &[u8], prefix: &str) -> anyhow::Result<Vec<f32>> {
    let st = SafeTensors::deserialize(buffer).context("not a safetensors file")?;
    let mut params = vec![0.0; arch.parameters];
    for t in &arch.tensors {
        let name = format!("{prefix}{}", t.name);
        let view = st.tensor(&name).with_context(|| format!("tensor {name} missing"))?;
        if view.dtype() != Dtype::F32 || view.shape() != t.shape.as_slice() {
            bail!("tensor {name} is {:?} {:?}, expected F32 {:?}", view.dtype(), view.shape(), t.shape);
        }
        for (dst, src) in params[t.range()].iter_mut().zip(view.data().chunks_exact(4)) {
            *dst = f32::from_le_bytes([src[0], src[1], src[2], src[3]]);
        }
    }
    Ok(params)
}
