//! Seeded random quantised networks that use every op of the format: the material of the
//! golden vectors, of the engine-versus-reference tests and of the corruption tests.

use kantor_engine::fixed::quantize_multiplier;
use kantor_engine::quant::Requant;
use kantor_core::onehot::{META_CHANNELS, VOICE_CHANNELS};
use kantor_core::sampler::Gaussian;
use kantor_core::NoiseSchedule;

use super::qgraph::{Elem, GraphInput, QGraph, QOp, QTensor, ScalarOp};

/// Shape of a synthetic network.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub channels: usize,
    pub blocks: usize,
    pub kernel: usize,
}

struct Builder {
    rng: Gaussian,
    g: QGraph,
}

impl Builder {
    fn uniform(&mut self) -> f32 {
        self.rng.uniform()
    }
    fn int(&mut self, lo: i32, hi: i32) -> i32 {
        lo + ((hi - lo + 1) as f32 * self.uniform()) as i32
    }
    fn requant(&mut self, lo: f64, hi: f64) -> Requant {
        let real = lo * (hi / lo).powf(self.uniform() as f64);
        let (multiplier, shift) = quantize_multiplier(real).expect("in range");
        Requant { multiplier, shift }
    }
    /// A new tensor; int16 (symmetric) about a third of the time.
    fn tensor(&mut self, channels: usize, relu: bool) -> usize {
        let elem = if self.uniform() < 0.35 { Elem::I16 } else { Elem::I8 };
        // int16 codes run about 256 times larger, so their steps are that much finer: real
        // values stay in the same range whatever the element type.
        let scale = (0.01 + 0.09 * self.uniform()) / if elem == Elem::I16 { 256.0 } else { 1.0 };
        let zero_point = match (elem, relu) {
            (Elem::I16, _) => 0,
            (Elem::I8, true) => -128,
            (Elem::I8, false) => self.int(-20, 20),
        };
        self.g.tensors.push(QTensor { channels, scale, zero_point, elem });
        self.g.tensors.len() - 1
    }
    /// Scales a multiplier's range up for int16 outputs (codes 256 times finer).
    fn gain(&self, t: usize) -> f64 {
        if self.g.tensors[t].elem == Elem::I16 {
            200.0
        } else {
            1.0
        }
    }
    /// Scales a multiplier's range down for int16 inputs.
    fn loss(&self, t: usize) -> f64 {
        1.0 / self.gain(t)
    }
    fn conv(&mut self, input: usize, cout: usize, kernel: usize, dilation: usize, stride: usize, relu: bool) -> usize {
        let cin = self.g.tensors[input].channels;
        let output = self.tensor(cout, relu);
        let pad = dilation * (kernel - 1) / 2;
        let weights = (0..cout * kernel * cin).map(|_| self.int(-127, 127) as i8).collect();
        let bias = (0..cout).map(|_| self.int(-3000, 3000)).collect();
        let fan_in = (cin * kernel) as f64;
        let k = self.gain(output) * self.loss(input) / (127.0 * fan_in.sqrt());
        let requant = (0..cout).map(|_| self.requant(0.3 * k, 3.0 * k)).collect();
        self.g.ops.push(QOp::Conv { input, output, kernel, dilation, stride, pad_begin: pad, pad_end: pad, relu, weights, bias, requant });
        output
    }
}

/// A random network of the given shape (seeded). Frame counts given to it must be even
/// (it halves and doubles the time axis once).
pub fn network(seed: u64, shape: Shape) -> QGraph {
    let mut b = Builder {
        rng: Gaussian::new(seed),
        g: QGraph { tensors: vec![], scalars: vec![], ops: vec![], props: vec![], schedule: NoiseSchedule::new(20.0, 0.05, 12) },
    };
    b.g.props = vec![("kantor.synthetic_seed".into(), seed.to_string())];
    // c_in = 1 / sqrt(1 + σ²) in register 5, 1/σ in register 6.
    b.g.scalars = vec![ScalarOp::Const(1.0), ScalarOp::Mul(0, 0), ScalarOp::Add(1, 2), ScalarOp::Sqrt(3), ScalarOp::Recip(4), ScalarOp::Recip(0)];
    let x = b.tensor(VOICE_CHANNELS, false);
    b.g.ops.push(QOp::Quantize { input: GraphInput::Voices, scalar: Some(5), output: x });
    let meta = b.tensor(META_CHANNELS, false);
    b.g.ops.push(QOp::Quantize { input: GraphInput::Meta, scalar: None, output: meta });
    let cat = b.tensor(VOICE_CHANNELS + META_CHANNELS, false);
    let k = b.gain(cat) * b.loss(x);
    let rq = b.requant(0.5 * k, 1.5 * k);
    let meta_rq = if b.g.tensors[meta].elem == b.g.tensors[cat].elem { None } else { Some(b.requant(b.gain(cat) * b.loss(meta), b.gain(cat) * b.loss(meta) * 1.01)) };
    b.g.ops.push(QOp::Concat { inputs: vec![(x, Some(rq)), (meta, meta_rq)], output: cat });
    let c = shape.channels;
    let mut h = b.conv(cat, c, shape.kernel, 1, 1, false);
    for block in 0..shape.blocks {
        let r = b.tensor(c, true);
        let k = b.gain(r) * b.loss(h);
        let requant = if block % 2 == 0 || k != 1.0 { Some(b.requant(0.5 * k, 2.0 * k)) } else { None };
        b.g.ops.push(QOp::Rescale { input: h, output: r, requant, relu: true });
        let d = b.conv(r, c, shape.kernel, 1 << (block % 3), 1, true);
        let p = b.conv(d, c, 1, 1, 1, false);
        let sum = b.tensor(c, false);
        let wide = b.g.tensors[h].elem == Elem::I16 || b.g.tensors[p].elem == Elem::I16;
        let left_shift = if wide { 15 } else { 20 };
        let (ka, kb) = (b.loss(h), b.loss(p));
        let (a_rq, b_rq) = (b.requant(0.2 * ka, 0.5 * ka), b.requant(0.2 * kb, 0.5 * kb));
        let ko = b.gain(sum) / (1u64 << left_shift) as f64;
        let out_rq = b.requant(1.0 * ko, 2.5 * ko);
        b.g.ops.push(QOp::Add { a: h, b: p, output: sum, left_shift, relu: false, a_rq, b_rq, out_rq });
        h = sum;
    }
    // Per-channel and σ multiplies, then down and up again in time.
    let m = b.tensor(c, false);
    let k = b.gain(m) * b.loss(h);
    let requant = (0..c)
        .map(|i| {
            let r = b.requant(0.3 * k, 1.5 * k);
            if i % 3 == 0 {
                Requant { multiplier: -r.multiplier, ..r }
            } else {
                r
            }
        })
        .collect();
    b.g.ops.push(QOp::MulChannel { input: h, output: m, relu: false, requant });
    let s = b.tensor(c, false);
    b.g.ops.push(QOp::MulScalar { input: m, output: s, scalar: 5, relu: false });
    let down = b.conv(s, c, 3, 1, 2, false);
    let up = b.tensor(c, false);
    b.g.tensors[up] = b.g.tensors[down];
    b.g.ops.push(QOp::Resize { input: down, output: up, factor: 2 });
    let r = b.tensor(c, true);
    let k = b.gain(r) * b.loss(up);
    let requant = if k == 1.0 { None } else { Some(b.requant(0.9 * k, 1.1 * k)) };
    b.g.ops.push(QOp::Rescale { input: up, output: r, requant, relu: true });
    let out = b.conv(r, VOICE_CHANNELS, 1, 1, 1, false);
    b.g.ops.push(QOp::Output { input: out, scalar: Some(6) });
    b.g
}

/// A noisy chorale-like input: one-hot voices plus σ·N(0, 1) (channel-major), 0/1 metadata.
pub fn input(seed: u64, frames: usize, sigma: f32) -> (Vec<f32>, Vec<f32>) {
    let mut rng = Gaussian::new(seed);
    let mut x = vec![0f32; VOICE_CHANNELS * frames];
    for v in x.iter_mut() {
        *v = sigma * rng.next();
    }
    for t in 0..frames {
        let c = (rng.uniform() * VOICE_CHANNELS as f32) as usize % VOICE_CHANNELS;
        x[c * frames + t] += 1.0;
    }
    let meta = (0..META_CHANNELS * frames).map(|_| if rng.uniform() < 0.2 { 1.0 } else { 0.0 }).collect();
    (x, meta)
}
