//! The training state on disk: one safetensors file holding the weights, their moving
//! average and Adam's moments, with the step and the configuration in its header. It is
//! written atomically, so a run killed mid-write keeps its previous checkpoint.

use super::config::TrainConfig;
use super::optim::Adam;
use crate::network::weights::{from_safetensors, safetensors_metadata, to_safetensors};
use crate::outfile::write as write_atomic;
use crate::network::{Architecture, Network};
use anyhow::Context;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// File name of the checkpoint inside a run directory.
pub const CHECKPOINT_FILE: &str = "checkpoint.safetensors";
/// File name of the configuration inside a run directory.
pub const CONFIG_FILE: &str = "config.toml";

/// Everything needed to continue a run exactly where it stopped. The data order and the
/// noise are drawn from a generator seeded by (seed, step), so the step is their state.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainState {
    pub config: TrainConfig,
    pub params: Vec<f32>,
    pub ema: Vec<f32>,
    pub adam: Adam,
    /// Optimiser steps taken.
    pub step: u64,
    /// Wall-clock seconds spent training over all sessions of the run.
    pub seconds: f64,
}

pub fn checkpoint_path(run: &Path) -> PathBuf {
    run.join(CHECKPOINT_FILE)
}

impl TrainState {
    /// Writes the state to `run/checkpoint.safetensors` (atomically).
    pub fn save(&self, arch: &Architecture, run: &Path) -> anyhow::Result<()> {
        let mut meta = HashMap::new();
        meta.insert("step".to_string(), self.step.to_string());
        meta.insert("adam_t".to_string(), self.adam.t.to_string());
        meta.insert("seconds".to_string(), format!("{}", self.seconds));
        meta.insert("config".to_string(), self.config.to_toml());
        meta.insert("encoding_version".to_string(), kantor_core::onehot::ENCODING_VERSION.to_string());
        let groups: [(&str, &[f32]); 4] = [("params.", &self.params), ("ema.", &self.ema), ("adam_m.", &self.adam.m), ("adam_v.", &self.adam.v)];
        let bytes = to_safetensors(arch, &groups, meta)?;
        write_atomic(&checkpoint_path(run), &bytes)
    }

    /// Reads the state of the run in `run`.
    pub fn load(run: &Path) -> anyhow::Result<(Architecture, TrainState)> {
        let path = checkpoint_path(run);
        let bytes = crate::infile::read(&path, crate::infile::CHECKPOINT).with_context(|| format!("reading checkpoint {}", path.display()))?;
        Self::from_bytes(&path, &bytes)
    }

    /// A checkpoint's state from its bytes (`path` names the file in errors).
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> anyhow::Result<(Architecture, TrainState)> {
        let meta = safetensors_metadata(bytes).with_context(|| format!("reading {}", path.display()))?;
        let field = |key: &str| meta.get(key).with_context(|| format!("{} has no `{key}` entry", path.display()));
        let config: TrainConfig = toml::from_str(field("config")?).with_context(|| format!("reading the configuration stored in {}", path.display()))?;
        config.validate().with_context(|| format!("checking the configuration stored in {}", path.display()))?;
        let version: u32 = field("encoding_version")?.parse().context("encoding version")?;
        anyhow::ensure!(
            version == kantor_core::onehot::ENCODING_VERSION,
            "checkpoint uses encoding version {version}, this build uses {}",
            kantor_core::onehot::ENCODING_VERSION
        );
        let arch = Architecture::new(config.net.clone())?;
        let load = |prefix: &str| from_safetensors(&arch, bytes, prefix).with_context(|| format!("reading {}", path.display()));
        let adam = Adam { m: load("adam_m.")?, v: load("adam_v.")?, t: field("adam_t")?.parse().context("adam_t")? };
        let state = TrainState {
            params: load("params.")?,
            ema: load("ema.")?,
            adam,
            step: field("step")?.parse().context("step")?,
            seconds: field("seconds")?.parse().context("seconds")?,
            config,
        };
        Ok((arch, state))
    }
}

/// The averaged (EMA) network of a run directory, as used for validation and export,
/// with the run's configuration.
pub fn load_network(run: &Path) -> anyhow::Result<(Network, TrainConfig)> {
    let (arch, state) = TrainState::load(run)?;
    Ok((Network::new(arch, state.ema)?, state.config))
}
