//! One score evaluation at 64 and 256 frames: the integer engine (all-int8 activations,
//! and the 16x8 layout with an int16 residual stream) against tract's f32 run of the same
//! ONNX model, single thread, in the same process.
//!
//! `cargo bench -p kantor --bench engine [-- MODEL.onnx [MODEL.kq8]]`: by default the
//! shipped `models/default` pair; without one, a network of the default architecture with
//! random weights (speed does not depend on the weights). An all-int8 quantisation of the
//! same network is timed alongside.

use std::hint::black_box;
use std::time::{Duration, Instant};

use kantor_core::engine::{self, Int8ScoreNet, Plan};
use kantor_core::onehot::VOICE_CHANNELS;
use kantor_core::NoiseSchedule;
use kantor_host::network::{weights, Architecture, NetConfig, Network};
use kantor_host::onnx::{export, voice_ranges_text, ModelInfo, OnnxScoreNet};
use kantor_host::quantize::calibrate::{Observer, RangeMethod};
use kantor_host::quantize::{blob, import, lower, synthetic};
use prost::Message;
use rand_core::SeedableRng;

/// Median times of several jobs, run in turns (one repetition of each, again and again,
/// for about `budget`), so that a busy machine slows them all alike.
fn time_interleaved(budget: Duration, jobs: &mut [&mut dyn FnMut()]) -> Vec<Duration> {
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); jobs.len()];
    for job in jobs.iter_mut() {
        job(); // warm-up
    }
    let start = Instant::now();
    while start.elapsed() < budget || times[0].len() < 5 {
        for (k, job) in jobs.iter_mut().enumerate() {
            let t = Instant::now();
            job();
            times[k].push(t.elapsed());
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort();
            t[t.len() / 2]
        })
        .collect()
}

fn random_model() -> Vec<u8> {
    let arch = Architecture::new(NetConfig::default()).expect("default architecture");
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
    let params = weights::initial_params(&arch, &mut rng);
    let net = Network::new(arch, params).expect("parameters");
    let info = ModelInfo {
        encoding_version: kantor_core::onehot::ENCODING_VERSION,
        voice_ranges: voice_ranges_text(),
        schedule: NoiseSchedule::new(19.6, 0.05, 100),
        steps_per_level: 5,
        epsilon: 1e-5,
        parameters: net.arch.parameters,
        architecture: net.arch.describe(),
        head: net.arch.config.head,
    };
    export::export(&net, &info).encode_to_vec()
}

/// The shipped model, if present: (ONNX bytes, blob bytes, description).
fn shipped() -> Option<(Vec<u8>, Vec<u8>, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/default");
    let onnx = std::fs::read(dir.join("model.onnx")).ok()?;
    let blob = std::fs::read(dir.join("model.kq8")).ok()?;
    Some((onnx, blob, "models/default (model.onnx and its model.kq8)".into()))
}

fn main() {
    // `-- MODEL.onnx [MODEL.kq8]`, else the shipped model, else random weights.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let onnx_arg = args.iter().find(|a| a.ends_with(".onnx"));
    let blob_arg = args.iter().find(|a| a.ends_with(".kq8"));
    let (onnx, shipped_blob, description) = match (onnx_arg, blob_arg) {
        (Some(p), b) => (
            std::fs::read(p).unwrap_or_else(|e| panic!("cannot read {p}: {e}")),
            b.map(|b| std::fs::read(b).unwrap_or_else(|e| panic!("cannot read {b}: {e}"))),
            p.clone(),
        ),
        (None, _) => match shipped() {
            Some((o, b, d)) => (o, Some(b), d),
            None => (random_model(), None, "default architecture, random weights".into()),
        },
    };
    let proto = import::decode(&onnx).expect("ONNX");
    let g = import::import(&proto).expect("supported graph");
    // Quick calibration on synthetic noisy inputs for the all-int8 variant (ranges do not
    // change the speed).
    let schedule = NoiseSchedule::new(19.6, 0.05, 10);
    let mut obs = Observer::new(&g, 31);
    for level in 0..schedule.levels {
        let (x, meta) = synthetic::input(level as u64, 64, schedule.sigma(level));
        obs.observe(&g, &g.run(&x, &meta, 64, schedule.sigma(level)));
    }
    let int8_only = blob::write(&lower::lower(&g, &obs.ranges(RangeMethod::Percentile(99.9)), schedule, false, &[]).expect("lowering")).expect("blob");
    let mut variants = vec![("int8", int8_only)];
    match shipped_blob {
        Some(b) => variants.push(("shipped", b)),
        None => variants.push(("16x8", blob::write(&lower::lower(&g, &obs.ranges(RangeMethod::Percentile(99.9)), schedule, true, &[]).expect("lowering")).expect("blob"))),
    }
    let mut tract = OnnxScoreNet::from_bytes(&onnx).expect("tract loads the model");
    let f32_macs = g.macs_per_frame();
    println!("model: {description}");
    println!("kernels: {:?}; f32 graph {f32_macs} conv MACs per frame", kantor_core::engine::Kernels::detect());
    for (name, bytes) in &variants {
        let q = blob::read(bytes).expect("blob reads back");
        println!("{name}: {} bytes, {} conv MACs per frame", bytes.len(), q.macs_per_frame());
    }
    println!("{:>8} {:>6}  {:>12}  {:>12}  {:>10}  {:>10}  {:>8}", "engine", "frames", "int engine", "tract f32", "int MAC/s", "f32 MAC/s", "speed-up");
    for frames in [64usize, 256] {
        let sigma = 0.7;
        let (x, meta) = synthetic::input(99, frames, sigma);
        let mut nets: Vec<_> = variants
            .iter()
            .map(|(_, bytes)| {
                let model = engine::load(bytes).expect("blob loads");
                let arena = Plan::new(&model, frames).expect("plan").arena_bytes;
                Int8ScoreNet::new(bytes.clone(), vec![0u8; arena], frames).expect("engine")
            })
            .collect();
        let mut outs = vec![vec![0f32; VOICE_CHANNELS * frames]; nets.len()];
        let mut f32_job = || {
            black_box(tract.run(black_box(&x), black_box(&meta), frames, sigma).expect("tract run"));
        };
        let mut int_jobs: Vec<Box<dyn FnMut()>> = nets
            .iter_mut()
            .zip(outs.iter_mut())
            .map(|(net, out)| {
                let (x, meta) = (&x, &meta);
                Box::new(move || net.run(black_box(x), black_box(meta), frames, sigma, out).expect("int run")) as Box<dyn FnMut()>
            })
            .collect();
        let mut jobs: Vec<&mut dyn FnMut()> = vec![&mut f32_job];
        for j in int_jobs.iter_mut() {
            jobs.push(j.as_mut());
        }
        let times = time_interleaved(Duration::from_secs(4), &mut jobs);
        let t_f32 = times[0];
        let f32_total = (f32_macs * frames as u64) as f64;
        for ((name, bytes), t_int) in variants.iter().zip(&times[1..]) {
            let int_macs = (blob::read(bytes).expect("blob").macs_per_frame() * frames as u64) as f64;
            println!(
                "{name:>8} {frames:>6}  {:>10.3}ms  {:>10.3}ms  {:>9.2}G  {:>9.2}G  {:>7.2}×",
                t_int.as_secs_f64() * 1e3,
                t_f32.as_secs_f64() * 1e3,
                int_macs / t_int.as_secs_f64() / 1e9,
                f32_total / t_f32.as_secs_f64() / 1e9,
                t_f32.as_secs_f64() / t_int.as_secs_f64()
            );
        }
    }
}
