//! Running an ONNX score network through tract, as a [`kantor_core::ScoreNet`].

use super::metadata::ModelInfo;
use anyhow::Context;
use kantor_core::onehot::{META_CHANNELS, VOICE_CHANNELS};
use prost::Message;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use tract_onnx::prelude::*;

type Plan = Arc<TypedRunnableModel>;

/// An ONNX score network, batch 1. The optimised plan is built for one frame count and
/// rebuilt when a call asks for another.
pub struct OnnxScoreNet {
    info: ModelInfo,
    /// Whether the file carried a checksum (one that does not match is refused).
    pub checksum: super::Checksum,
    props: HashMap<String, String>,
    model: InferenceModel,
    plan: Option<(usize, Plan)>,
}

impl std::fmt::Debug for OnnxScoreNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxScoreNet").field("info", &self.info).field("frames", &self.plan.as_ref().map(|p| p.0)).finish()
    }
}

impl OnnxScoreNet {
    /// Loads `path`, checking that it was made for this build's encoding.
    pub fn load(path: &Path) -> anyhow::Result<OnnxScoreNet> {
        let bytes = crate::infile::read(path, crate::infile::MODEL)?;
        Self::from_bytes(&bytes).with_context(|| format!("loading model {}", path.display()))
    }

    /// Loads a model from the bytes of an ONNX file.
    pub fn from_bytes(bytes: &[u8]) -> anyhow::Result<OnnxScoreNet> {
        let proto = tract_onnx::pb::ModelProto::decode(bytes).context("not an ONNX model")?;
        let checksum = super::checksum::verify(&proto)?;
        let props: HashMap<String, String> = proto.metadata_props.iter().map(|p| (p.key.clone(), p.value.clone())).collect();
        let info = ModelInfo::from_props(&props)?;
        let model = tract_onnx::onnx().model_for_proto_model(&proto).context("reading the ONNX graph")?;
        Ok(OnnxScoreNet { info, checksum, props, model, plan: None })
    }

    /// The model's metadata: encoding, default schedule, size.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// A metadata property of the model file (e.g. `kantor.sampler`).
    pub fn prop(&self, key: &str) -> Option<&str> {
        self.props.get(key).map(String::as_str)
    }

    fn plan(&mut self, frames: usize) -> anyhow::Result<Plan> {
        if let Some((f, plan)) = &self.plan {
            if *f == frames {
                return Ok(plan.clone());
            }
        }
        let plan = self
            .model
            .clone()
            .with_input_fact(0, f32::fact([1, VOICE_CHANNELS, frames]).into())?
            .with_input_fact(1, f32::fact([1, META_CHANNELS, frames]).into())?
            .with_input_fact(2, f32::fact([1, 1, 1]).into())?
            .into_optimized()?
            .into_runnable()?;
        self.plan = Some((frames, plan.clone()));
        Ok(plan)
    }

    /// The graph's output for `x` (`VOICE_CHANNELS × frames`), `meta`
    /// (`META_CHANNELS × frames`), σ: the score, or what the model's head turns into the
    /// score ([`kantor_core::ScoreNet::score`] does that).
    pub fn run(&mut self, x: &[f32], meta: &[f32], frames: usize, sigma: f32) -> anyhow::Result<Vec<f32>> {
        anyhow::ensure!(frames > 0, "no frames to score");
        anyhow::ensure!(x.len() >= VOICE_CHANNELS * frames && meta.len() >= META_CHANNELS * frames, "input buffers too small for {frames} frames");
        anyhow::ensure!(sigma > 0.0 && sigma.is_finite(), "σ must be positive, got {sigma}");
        let plan = self.plan(frames)?;
        let x = Tensor::from_shape(&[1, VOICE_CHANNELS, frames], &x[..VOICE_CHANNELS * frames])?;
        let meta = Tensor::from_shape(&[1, META_CHANNELS, frames], &meta[..META_CHANNELS * frames])?;
        let sigma = Tensor::from_shape(&[1, 1, 1], &[sigma])?;
        let out = plan.run(tvec!(x.into(), meta.into(), sigma.into()))?;
        Ok(out[0].try_as_plain_ram()?.as_slice::<f32>()?.to_vec())
    }
}

impl kantor_core::ScoreNet for OnnxScoreNet {
    type Error = anyhow::Error;

    fn score(&mut self, x: &[f32], meta: &[f32], frames: usize, sigma: f32, score: &mut [f32]) -> anyhow::Result<()> {
        anyhow::ensure!(score.len() >= VOICE_CHANNELS * frames, "score buffer too small for {frames} frames");
        let out = self.run(x, meta, frames, sigma)?;
        score[..out.len()].copy_from_slice(&out);
        self.info.head.to_score(x, score, frames, sigma);
        Ok(())
    }
}
