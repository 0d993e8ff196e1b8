//! Forward and backward passes of the score network over a batch.
//!
//! The network's tensor path `f` maps the preconditioned input
//! `concat(c_in(σ)·x, meta)` to 101 channels; the score is `f / σ`. Batches use the
//! layout of [`super::conv`]: samples side by side in each channel row.

use super::architecture::{Architecture, INPUT_CHANNELS};
use super::conv;
use kantor_core::onehot::{META_CHANNELS, VOICE_CHANNELS};

/// Input scaling `c_in(σ) = 1 / sqrt(1 + σ²)`: a noisy one-hot state has roughly unit
/// scale at every noise level after it.
pub fn c_in(sigma: f32) -> f32 {
    1.0 / (1.0 + sigma * sigma).sqrt()
}

/// Builds the network input `concat(c_in(σ_s)·x_s, meta_s)` for a batch from per-sample
/// channel-major `x_s` (`VOICE_CHANNELS × frames`) and `meta_s` (`META_CHANNELS × frames`).
pub fn assemble_input(xs: &[&[f32]], metas: &[&[f32]], sigmas: &[f32], frames: usize) -> Vec<f32> {
    let samples = xs.len();
    assert!(metas.len() == samples && sigmas.len() == samples, "batch parts differ in length");
    let n = samples * frames;
    let mut input = vec![0.0; INPUT_CHANNELS * n];
    for s in 0..samples {
        let scale = c_in(sigmas[s]);
        for c in 0..VOICE_CHANNELS {
            let src = &xs[s][c * frames..(c + 1) * frames];
            for (d, v) in input[c * n + s * frames..c * n + (s + 1) * frames].iter_mut().zip(src) {
                *d = v * scale;
            }
        }
        for c in 0..META_CHANNELS {
            let row = VOICE_CHANNELS + c;
            input[row * n + s * frames..row * n + (s + 1) * frames].copy_from_slice(&metas[s][c * frames..(c + 1) * frames]);
        }
    }
    input
}

/// Everything the backward pass needs from a forward pass, plus scratch space.
#[derive(Default, Debug)]
pub struct Activations {
    pub samples: usize,
    pub frames: usize,
    /// Network input (`INPUT_CHANNELS × n`).
    pub input: Vec<f32>,
    /// Residual stream before each block and after the last (`blocks + 1` tensors).
    pub stream: Vec<Vec<f32>>,
    /// Each block's dilated convolution output, before its ReLU.
    pub inner: Vec<Vec<f32>>,
    /// Input of the output layer: `concat(relu(h_R), c_in·x)` (`(channels + VOICE_CHANNELS) × n`).
    pub head: Vec<f32>,
    /// Output of `f` (`VOICE_CHANNELS × n`).
    pub output: Vec<f32>,
    cols: Vec<f32>,
    relu: Vec<f32>,
}

fn relu_into(src: &[f32], dst: &mut Vec<f32>) {
    dst.clear();
    dst.extend(src.iter().map(|&v| v.max(0.0)));
}

impl Architecture {
    /// Runs `f` on `input` (`INPUT_CHANNELS × samples·frames`, see [`assemble_input`]),
    /// keeping the activations for [`Architecture::backward`]. The result is `acts.output`.
    pub fn forward(&self, params: &[f32], input: Vec<f32>, samples: usize, frames: usize, acts: &mut Activations) {
        assert_eq!(params.len(), self.parameters, "parameter vector has the wrong size");
        let n = samples * frames;
        assert_eq!(input.len(), INPUT_CHANNELS * n, "input has the wrong size");
        let c = self.config.channels;
        acts.samples = samples;
        acts.frames = frames;
        acts.input = input;
        acts.stream.resize_with(self.blocks.len() + 1, Vec::new);
        acts.inner.resize_with(self.blocks.len(), Vec::new);
        let (w, b) = self.layer_params(params, &self.conv_in);
        acts.stream[0].resize(c * n, 0.0);
        conv::forward(&self.conv_in.shape, w, b, &acts.input, samples, frames, &mut acts.cols, &mut acts.stream[0]);
        let mut branch = vec![0.0; c * n];
        for (i, block) in self.blocks.iter().enumerate() {
            relu_into(&acts.stream[i], &mut acts.relu);
            acts.inner[i].resize(c * n, 0.0);
            let (w, b) = self.layer_params(params, &block.dilated);
            conv::forward(&block.dilated.shape, w, b, &acts.relu, samples, frames, &mut acts.cols, &mut acts.inner[i]);
            relu_into(&acts.inner[i], &mut acts.relu);
            let (w, b) = self.layer_params(params, &block.pointwise);
            conv::forward(&block.pointwise.shape, w, b, &acts.relu, samples, frames, &mut acts.cols, &mut branch);
            let next: Vec<f32> = acts.stream[i].iter().zip(&branch).map(|(h, r)| h + r).collect();
            acts.stream[i + 1] = next;
        }
        relu_into(&acts.stream[self.blocks.len()], &mut acts.head);
        acts.head.extend_from_slice(&acts.input[..VOICE_CHANNELS * n]);
        acts.output.resize(VOICE_CHANNELS * n, 0.0);
        let (w, b) = self.layer_params(params, &self.conv_out);
        conv::forward(&self.conv_out.shape, w, b, &acts.head, samples, frames, &mut acts.cols, &mut acts.output);
    }

    /// Back-propagates `grad_output` (d loss / d `acts.output`) through the last forward
    /// pass: adds the parameter gradient into `grad` and returns d loss / d input.
    pub fn backward(&self, params: &[f32], acts: &mut Activations, grad_output: &[f32], grad: &mut [f32]) -> Vec<f32> {
        assert_eq!(grad.len(), self.parameters, "gradient vector has the wrong size");
        let (samples, frames) = (acts.samples, acts.frames);
        let n = samples * frames;
        let c = self.config.channels;
        let blocks = self.blocks.len();
        let mut cols = std::mem::take(&mut acts.cols);

        // conv_out on concat(relu(h_R), c_in·x).
        let mut grad_head = vec![0.0; (c + VOICE_CHANNELS) * n];
        let (gw, gb) = split_grad(grad, self, &self.conv_out);
        let (w, _) = self.layer_params(params, &self.conv_out);
        conv::backward(&self.conv_out.shape, w, &acts.head, grad_output, samples, frames, &mut cols, gw, gb, Some(&mut grad_head));
        let grad_skip = grad_head.split_off(c * n);
        let mut grad_stream = grad_head;
        mask_relu(&mut grad_stream, &acts.stream[blocks]);

        let mut grad_inner = vec![0.0; c * n];
        let mut grad_a = vec![0.0; c * n];
        for (i, block) in self.blocks.iter().enumerate().rev() {
            // Pointwise conv on relu(inner).
            relu_into(&acts.inner[i], &mut acts.relu);
            grad_inner.fill(0.0);
            let (gw, gb) = split_grad(grad, self, &block.pointwise);
            let (w, _) = self.layer_params(params, &block.pointwise);
            conv::backward(&block.pointwise.shape, w, &acts.relu, &grad_stream, samples, frames, &mut cols, gw, gb, Some(&mut grad_inner));
            mask_relu(&mut grad_inner, &acts.inner[i]);
            // Dilated conv on relu(h_i).
            relu_into(&acts.stream[i], &mut acts.relu);
            grad_a.fill(0.0);
            let (gw, gb) = split_grad(grad, self, &block.dilated);
            let (w, _) = self.layer_params(params, &block.dilated);
            conv::backward(&block.dilated.shape, w, &acts.relu, &grad_inner, samples, frames, &mut cols, gw, gb, Some(&mut grad_a));
            mask_relu(&mut grad_a, &acts.stream[i]);
            for (g, a) in grad_stream.iter_mut().zip(&grad_a) {
                *g += a;
            }
        }

        let mut grad_input = vec![0.0; INPUT_CHANNELS * n];
        let (gw, gb) = split_grad(grad, self, &self.conv_in);
        let (w, _) = self.layer_params(params, &self.conv_in);
        conv::backward(&self.conv_in.shape, w, &acts.input, &grad_stream, samples, frames, &mut cols, gw, gb, Some(&mut grad_input));
        for (g, s) in grad_input.iter_mut().zip(&grad_skip) {
            *g += s;
        }
        acts.cols = cols;
        grad_input
    }
}

/// Zeroes the gradient where the ReLU's input was not positive.
fn mask_relu(grad: &mut [f32], pre: &[f32]) {
    for (g, p) in grad.iter_mut().zip(pre) {
        if *p <= 0.0 {
            *g = 0.0;
        }
    }
}

/// Mutable weight and bias gradients of `layer` (weight and bias tensors are adjacent).
fn split_grad<'a>(grad: &'a mut [f32], arch: &Architecture, layer: &super::architecture::ConvLayer) -> (&'a mut [f32], &'a mut [f32]) {
    let w = arch.tensors[layer.weight].range();
    let b = arch.tensors[layer.bias].range();
    debug_assert_eq!(w.end, b.start);
    let (gw, gb) = grad[w.start..b.end].split_at_mut(w.len());
    (gw, gb)
}
