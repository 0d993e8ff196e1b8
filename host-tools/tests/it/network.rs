//! The score network's backward pass against finite differences, and its basic contracts.

use kantor_core::onehot::{META_CHANNELS, VOICE_CHANNELS};
use kantor_core::ScoreNet;
use kantor_host::network::weights::{initial_params, normal};
use kantor_host::network::{assemble_input, Activations, Architecture, NetConfig, Network, INPUT_CHANNELS};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

fn small_arch() -> Architecture {
    Architecture::new(NetConfig { channels: 6, kernel: 3, dilations: vec![1, 3], head: kantor_core::Head::Score }).unwrap()
}

/// `L = Σ r·f(input)`, accumulated in f64.
fn functional(arch: &Architecture, params: &[f32], input: &[f32], samples: usize, frames: usize, r: &[f32]) -> f64 {
    let mut acts = Activations::default();
    arch.forward(params, input.to_vec(), samples, frames, &mut acts);
    acts.output.iter().zip(r).map(|(o, w)| *o as f64 * *w as f64).sum()
}

/// Relative error between two gradient samples: ‖a − b‖ / (‖a‖ + ‖b‖).
fn relative_error(a: &[f64], b: &[f64]) -> f64 {
    let diff: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>().sqrt();
    let norm: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt() + b.iter().map(|x| x * x).sum::<f64>().sqrt();
    diff / norm.max(1e-30)
}

#[test]
fn gradient_check_every_tensor_and_the_input() {
    let arch = small_arch();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let mut params = initial_params(&arch, &mut rng);
    // Non-zero biases so that every bias gradient path is exercised.
    for t in &arch.tensors {
        if t.name.ends_with("bias") {
            for b in &mut params[t.range()] {
                *b = 0.1 * normal(&mut rng);
            }
        }
    }
    let (samples, frames) = (2, 9);
    let n = samples * frames;
    let input: Vec<f32> = (0..INPUT_CHANNELS * n).map(|_| normal(&mut rng)).collect();
    let r: Vec<f32> = (0..VOICE_CHANNELS * n).map(|_| normal(&mut rng)).collect();

    let mut acts = Activations::default();
    arch.forward(&params, input.clone(), samples, frames, &mut acts);
    let mut grad = vec![0.0; arch.parameters];
    let grad_input = arch.backward(&params, &mut acts, &r, &mut grad);

    let h = 1e-3f32;
    let central = |plus: f64, minus: f64| (plus - minus) / (2.0 * h as f64);
    for t in &arch.tensors {
        let count = t.len().min(24);
        let (mut analytic, mut numeric) = (Vec::new(), Vec::new());
        for j in 0..count {
            let i = t.offset + j * t.len() / count;
            let mut p = params.clone();
            p[i] += h;
            let plus = functional(&arch, &p, &input, samples, frames, &r);
            p[i] -= 2.0 * h;
            let minus = functional(&arch, &p, &input, samples, frames, &r);
            numeric.push(central(plus, minus));
            analytic.push(grad[i] as f64);
        }
        let err = relative_error(&analytic, &numeric);
        assert!(err < 1e-2, "{}: relative error {err:.2e}\nanalytic {analytic:?}\nnumeric {numeric:?}", t.name);
    }
    let (mut analytic, mut numeric) = (Vec::new(), Vec::new());
    for j in 0..40 {
        let i = j * input.len() / 40;
        let mut x = input.clone();
        x[i] += h;
        let plus = functional(&arch, &params, &x, samples, frames, &r);
        x[i] -= 2.0 * h;
        let minus = functional(&arch, &params, &x, samples, frames, &r);
        numeric.push(central(plus, minus));
        analytic.push(grad_input[i] as f64);
    }
    let err = relative_error(&analytic, &numeric);
    assert!(err < 1e-2, "input: relative error {err:.2e}");
}

#[test]
fn samples_in_a_batch_do_not_interact() {
    let arch = small_arch();
    let params = initial_params(&arch, &mut Xoshiro256PlusPlus::seed_from_u64(3));
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
    let frames = 11;
    let xs: Vec<Vec<f32>> = (0..2).map(|_| (0..VOICE_CHANNELS * frames).map(|_| normal(&mut rng)).collect()).collect();
    let metas: Vec<Vec<f32>> = (0..2).map(|_| (0..META_CHANNELS * frames).map(|_| normal(&mut rng)).collect()).collect();
    let sigmas = [0.3, 4.0];
    let both = assemble_input(&[&xs[0], &xs[1]], &[&metas[0], &metas[1]], &sigmas, frames);
    let mut acts = Activations::default();
    arch.forward(&params, both, 2, frames, &mut acts);
    let net = Network::new(arch.clone(), params).unwrap();
    for s in 0..2 {
        let alone = net.score_one(&xs[s], &metas[s], frames, sigmas[s]);
        for c in 0..VOICE_CHANNELS {
            for t in 0..frames {
                let batched = acts.output[c * 2 * frames + s * frames + t] / sigmas[s];
                assert!((batched - alone[c * frames + t]).abs() < 1e-5);
            }
        }
    }
}

#[test]
fn score_net_is_length_agnostic_and_checks_buffers() {
    let arch = small_arch();
    let params = initial_params(&arch, &mut Xoshiro256PlusPlus::seed_from_u64(5));
    let mut net = Network::new(arch, params).unwrap();
    for frames in [1, 16, 37] {
        let x = vec![0.5; VOICE_CHANNELS * frames];
        let meta = vec![0.0; META_CHANNELS * frames];
        let mut score = vec![f32::NAN; VOICE_CHANNELS * frames];
        net.score(&x, &meta, frames, 1.5, &mut score).unwrap();
        assert!(score.iter().all(|v| v.is_finite()));
    }
    let mut score = vec![0.0; 10];
    assert!(net.score(&[0.0; 10], &[0.0; 10], 4, 1.0, &mut score).is_err());
    let mut score = vec![0.0; VOICE_CHANNELS];
    assert!(net.score(&[0.0; VOICE_CHANNELS], &[0.0; META_CHANNELS], 1, 0.0, &mut score).is_err());
}
