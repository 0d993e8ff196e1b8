//! The device core's sampler driving an exported ONNX network through tract, as
//! `kantor generate` and `kantor harmonize` do: a small random network, so the test needs
//! no trained model, but every layer of the path (export, tract, sampler, decoding) runs.

use kantor_core::sampler::{clamp_voice, Gaussian, PiecePlan, SamplerSettings, FREE};
use kantor_core::{FrameMeta, NoiseSchedule, Token, Voice};
use kantor_host::compose::compose_frames;
use kantor_host::network::{Architecture, NetConfig, Network};
use kantor_host::onnx::{export::export, voice_ranges_text, ModelInfo, OnnxScoreNet};
use prost::Message;

/// A random network of the real architecture (small), exported and loaded by tract.
fn onnx_net() -> OnnxScoreNet {
    let arch = Architecture::new(NetConfig { channels: 16, kernel: 3, dilations: vec![1, 2], head: kantor_core::Head::Score }).unwrap();
    let mut g = Gaussian::new(99);
    let params: Vec<f32> = (0..arch.parameters).map(|_| 0.2 * g.next()).collect();
    let net = Network::new(arch, params).unwrap();
    let info = ModelInfo {
        encoding_version: kantor_core::onehot::ENCODING_VERSION,
        voice_ranges: voice_ranges_text(),
        schedule: NoiseSchedule::new(5.0, 0.05, 4),
        steps_per_level: 3,
        epsilon: 1e-4,
        parameters: net.arch.parameters,
        architecture: net.arch.describe(),
        head: net.arch.config.head,
    };
    OnnxScoreNet::from_bytes(&export(&net, &info).encode_to_vec()).unwrap()
}

fn metas() -> Vec<FrameMeta> {
    let plan = PiecePlan::new(2);
    (0..plan.frames().unwrap()).map(|i| plan.meta(i).unwrap()).collect()
}

#[test]
fn onnx_chains_repeat_per_seed_and_keep_the_melody() {
    let mut net = onnx_net();
    let info = net.info().clone();
    let settings = SamplerSettings { steps_per_level: info.steps_per_level, epsilon: info.epsilon, ..SamplerSettings::ncsn(info.schedule) };
    let metas = metas();
    let a = compose_frames(&mut net, &settings, 1, &metas, &[]).unwrap();
    let b = compose_frames(&mut net, &settings, 1, &metas, &[]).unwrap();
    let c = compose_frames(&mut net, &settings, 2, &metas, &[]).unwrap();
    assert_eq!(a.evaluations, 4 * 3 + 1);
    assert_eq!(a.frames, b.frames);
    assert_ne!(a.frames, c.frames);
    assert!(a.frames.iter().zip(&metas).all(|(f, m)| f.meta == *m));
    // Frame 0 never holds (there is nothing to hold).
    assert!(a.frames[0].tokens.iter().all(|t| *t != Token::Hold));

    // Harmonising: the soprano comes out exactly as given, the other voices are sampled.
    let tune: Vec<Token> = (0..metas.len())
        .map(|i| if i % 4 == 0 { Token::Pitch(60 + (i / 4 % 12) as u8) } else { Token::Hold })
        .collect();
    let mut clamps = vec![FREE; metas.len()];
    clamp_voice(&mut clamps, Voice::Soprano, &tune);
    let h = compose_frames(&mut net, &settings, 3, &metas, &clamps).unwrap();
    let soprano: Vec<Token> = h.frames.iter().map(|f| f.tokens[0]).collect();
    assert_eq!(soprano, tune);
    let sampled_alto: Vec<Token> = h.frames.iter().map(|f| f.tokens[1]).collect();
    assert!(sampled_alto.iter().any(|t| matches!(t, Token::Pitch(_))));
}
