//! The shape of the score network and where each tensor lives in the flat parameter vector.

use super::conv::ConvShape;
use kantor_core::onehot::{META_CHANNELS, VOICE_CHANNELS};
use kantor_core::Head;
use serde::{Deserialize, Serialize};

/// Input channels of the network: the one-hot voices followed by the metadata.
pub const INPUT_CHANNELS: usize = VOICE_CHANNELS + META_CHANNELS;

/// Hyper-parameters of the network's shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetConfig {
    /// Width of the residual stream.
    pub channels: usize,
    /// Kernel width of the input convolution and of each block's dilated convolution (odd).
    pub kernel: usize,
    /// Dilation of each residual block's wide convolution; one block per entry.
    pub dilations: Vec<usize>,
    /// What the output layer estimates: `score` (ε-prediction, MSE), `denoised` (the
    /// clean chorale with EDM preconditioning, MSE) or `categorical` (logits of each
    /// voice's classes, cross-entropy) or `posterior` (prior logits to which the head adds
    /// the noisy input's evidence x/σ², cross-entropy). See [`kantor_core::Head`].
    #[serde(default, with = "head_name")]
    pub head: Head,
}

/// Widest residual stream a configuration may ask for.
pub const MAX_CHANNELS: usize = 4096;
/// Widest convolution kernel (the int8 engine's limit is 64 taps).
pub const MAX_KERNEL: usize = 63;
/// Most residual blocks.
pub const MAX_BLOCKS: usize = 256;
/// Largest dilation.
pub const MAX_DILATION: usize = 4096;

impl NetConfig {
    /// Checks every number against its range, naming the field.
    pub fn check_ranges(&self) -> anyhow::Result<()> {
        use crate::ranges::within;
        let field = |name: &str, v: usize, low: usize, high: usize| within(low, high).check_value(v).map(|_| ()).map_err(|why| anyhow::anyhow!("net.{name} = {why}"));
        field("channels", self.channels, 1, MAX_CHANNELS)?;
        field("kernel", self.kernel, 1, MAX_KERNEL)?;
        field("dilations (number of blocks)", self.dilations.len(), 0, MAX_BLOCKS)?;
        for &d in &self.dilations {
            field("dilations (each)", d, 1, MAX_DILATION)?;
        }
        Ok(())
    }
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig { channels: 78, kernel: 3, dilations: vec![1, 2, 4, 8, 16, 1, 2, 4], head: Head::Categorical }
    }
}

/// [`Head`] in configuration files, by name.
mod head_name {
    use kantor_core::Head;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(head: &Head, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(head.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Head, D::Error> {
        let name = String::deserialize(d)?;
        Head::from_name(&name).ok_or_else(|| serde::de::Error::custom(format!("unknown head {name:?} (score, denoised, categorical or posterior)")))
    }
}

/// One named tensor inside the flat parameter vector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorSpec {
    pub name: String,
    pub shape: Vec<usize>,
    pub offset: usize,
}

impl TensorSpec {
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn range(&self) -> std::ops::Range<usize> {
        self.offset..self.offset + self.len()
    }
}

/// A convolution layer: its shape and the positions of its weight and bias tensors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvLayer {
    pub shape: ConvShape,
    /// Index into [`Architecture::tensors`] of the weight `[cout, cin, kernel]`.
    pub weight: usize,
    /// Index into [`Architecture::tensors`] of the bias `[cout]`.
    pub bias: usize,
}

/// A residual block: `h + pointwise(relu(dilated(relu(h))))`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    pub dilated: ConvLayer,
    pub pointwise: ConvLayer,
}

/// The network's layers and parameter layout, without the parameter values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Architecture {
    pub config: NetConfig,
    pub tensors: Vec<TensorSpec>,
    pub conv_in: ConvLayer,
    pub blocks: Vec<Block>,
    pub conv_out: ConvLayer,
    /// Total number of parameters.
    pub parameters: usize,
}

impl Architecture {
    pub fn new(config: NetConfig) -> anyhow::Result<Architecture> {
        config.check_ranges()?;
        anyhow::ensure!(config.kernel % 2 == 1, "kernel width must be odd, got {}", config.kernel);
        let mut tensors = Vec::new();
        let mut total = 0;
        let mut layer = |name: &str, shape: ConvShape| {
            let mut add = |suffix: &str, dims: Vec<usize>| {
                let spec = TensorSpec { name: format!("{name}.{suffix}"), shape: dims, offset: total };
                total += spec.len();
                tensors.push(spec);
                tensors.len() - 1
            };
            let weight = add("weight", vec![shape.cout, shape.cin, shape.kernel]);
            let bias = add("bias", vec![shape.cout]);
            ConvLayer { shape, weight, bias }
        };
        let c = config.channels;
        let conv_in = layer("conv_in", ConvShape { cin: INPUT_CHANNELS, cout: c, kernel: config.kernel, dilation: 1 });
        let blocks = config
            .dilations
            .iter()
            .enumerate()
            .map(|(i, &d)| Block {
                dilated: layer(&format!("blocks.{i}.dilated"), ConvShape { cin: c, cout: c, kernel: config.kernel, dilation: d }),
                pointwise: layer(&format!("blocks.{i}.pointwise"), ConvShape { cin: c, cout: c, kernel: 1, dilation: 1 }),
            })
            .collect();
        // The output layer also reads the scaled input itself: without that skip a 1×1 layer from
        // `c` < 101 channels could only reach `c` of the 101 score directions per frame.
        let conv_out = layer("conv_out", ConvShape { cin: c + VOICE_CHANNELS, cout: VOICE_CHANNELS, kernel: 1, dilation: 1 });
        Ok(Architecture { config, tensors, conv_in, blocks, conv_out, parameters: total })
    }

    /// Frames of context each output frame sees (the receptive field).
    pub fn receptive_field(&self) -> usize {
        let mut field = 1 + 2 * self.conv_in.shape.padding();
        for b in &self.blocks {
            field += 2 * b.dilated.shape.padding();
        }
        field
    }

    /// A one-line description, e.g. for model metadata.
    pub fn describe(&self) -> String {
        format!(
            "NCSNv2-style 1-D residual convnet: conv_in k{k} {i}->{c}; {r} blocks h+conv1x1(relu(conv_k{k}_d(relu(h)))) dilations {d:?}; conv_out 1x1 on concat(relu(h), c_in*x) {c}+{o}->{o}; input c_in(sigma)*x with c_in=1/sqrt(1+sigma^2), meta concatenated; {head}; receptive field {rf} frames",
            k = self.config.kernel,
            i = INPUT_CHANNELS,
            c = self.config.channels,
            r = self.blocks.len(),
            d = self.config.dilations,
            o = VOICE_CHANNELS,
            rf = self.receptive_field(),
            head = match self.config.head {
                Head::Score => "score=f/sigma",
                Head::Denoised => "D=c_skip*x+c_out*f (EDM, sigma_data 0.2), score=(D-x)/sigma^2",
                Head::Categorical => "f=logits per voice, D=softmax per voice, score=(D-x)/sigma^2",
                Head::Posterior => "f=prior logits per voice, D=softmax(f+x/sigma^2) per voice, score=(D-x)/sigma^2",
            },
        )
    }

    /// The tensor `index` of `params`.
    pub fn tensor<'a>(&self, params: &'a [f32], index: usize) -> &'a [f32] {
        &params[self.tensors[index].range()]
    }

    /// Weight and bias of `layer` in `params`.
    pub fn layer_params<'a>(&self, params: &'a [f32], layer: &ConvLayer) -> (&'a [f32], &'a [f32]) {
        (self.tensor(params, layer.weight), self.tensor(params, layer.bias))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_size_fits_the_device() {
        let a = Architecture::new(NetConfig::default()).unwrap();
        assert_eq!(a.parameters, 243_444);
        assert_eq!(a.receptive_field(), 3 + 2 * (1 + 2 + 4 + 8 + 16 + 1 + 2 + 4));
        let last = a.tensors.last().unwrap();
        assert_eq!(last.offset + last.len(), a.parameters);
    }
}
