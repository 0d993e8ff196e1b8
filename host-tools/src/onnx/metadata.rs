//! What a model file says about itself: the `kantor.*` metadata properties.

use anyhow::{bail, Context};
use kantor_core::onehot::ENCODING_VERSION;
use kantor_core::{Head, NoiseSchedule, Voice};
use std::collections::HashMap;

/// Metadata key of the network's head (see [`kantor_core::Head`]); a model without it
/// outputs the score.
pub const HEAD_PROP: &str = "kantor.head";

/// The head named by `kantor.head` among `props` (the score if there is none).
pub fn head_from_props(props: &[(String, String)]) -> anyhow::Result<Head> {
    head_from(props.iter().find(|(k, _)| k == HEAD_PROP).map(|(_, v)| v.as_str()))
}

/// The head called `value` (the score if `None`).
pub fn head_from(value: Option<&str>) -> anyhow::Result<Head> {
    match value {
        None => Ok(Head::Score),
        Some(v) => Head::from_name(v).with_context(|| {
            let known: Vec<&str> = Head::ALL.iter().map(|h| h.name()).collect();
            format!("the model's {HEAD_PROP} is {v:?}; this build knows {}", known.join(", "))
        }),
    }
}

/// A model's description of its input encoding and its default sampling schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelInfo {
    pub encoding_version: u32,
    /// Voice ranges in the form of [`voice_ranges_text`].
    pub voice_ranges: String,
    /// Default annealing schedule (σ_max, σ_min, levels).
    pub schedule: NoiseSchedule,
    pub steps_per_level: usize,
    /// Langevin step size ε (level i steps by ε·σ_i²/σ_min²).
    pub epsilon: f32,
    pub parameters: usize,
    pub architecture: String,
    /// What the network's output holds.
    pub head: Head,
}

/// The voice ranges of this build, e.g. `S 60-79, A 53-74, T 48-69, B 36-64`.
pub fn voice_ranges_text() -> String {
    Voice::ALL.iter().map(|v| format!("{} {}-{}", v.letter(), v.range().lowest, v.range().highest)).collect::<Vec<_>>().join(", ")
}

impl ModelInfo {
    /// The metadata entries (`kantor.*` keys, string values).
    pub fn to_props(&self) -> Vec<(String, String)> {
        [
            ("encoding_version", self.encoding_version.to_string()),
            ("voice_ranges", self.voice_ranges.clone()),
            ("sigma_max", self.schedule.sigma_max.to_string()),
            ("sigma_min", self.schedule.sigma_min.to_string()),
            ("levels", self.schedule.levels.to_string()),
            ("steps_per_level", self.steps_per_level.to_string()),
            ("epsilon", self.epsilon.to_string()),
            ("parameters", self.parameters.to_string()),
            ("architecture", self.architecture.clone()),
            ("head", self.head.name().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (format!("kantor.{k}"), v))
        .collect()
    }

    /// Parses the `kantor.*` entries, refusing a model made for another encoding.
    pub fn from_props(props: &HashMap<String, String>) -> anyhow::Result<ModelInfo> {
        let get = |k: &str| props.get(&format!("kantor.{k}")).with_context(|| format!("model metadata lacks kantor.{k}"));
        fn parse<T: std::str::FromStr>(key: &str, v: &str) -> anyhow::Result<T> {
            v.trim().parse().ok().with_context(|| format!("model metadata kantor.{key} = {v:?} is not a valid number"))
        }
        let info = ModelInfo {
            encoding_version: parse("encoding_version", get("encoding_version")?)?,
            voice_ranges: get("voice_ranges")?.clone(),
            schedule: NoiseSchedule::new(
                parse("sigma_max", get("sigma_max")?)?,
                parse("sigma_min", get("sigma_min")?)?,
                parse("levels", get("levels")?)?,
            ),
            steps_per_level: parse("steps_per_level", get("steps_per_level")?)?,
            epsilon: parse("epsilon", get("epsilon")?)?,
            parameters: parse("parameters", get("parameters")?)?,
            architecture: get("architecture")?.clone(),
            head: head_from(props.get(HEAD_PROP).map(String::as_str))?,
        };
        if info.encoding_version != ENCODING_VERSION {
            bail!("the model uses encoding version {}, this build reads version {ENCODING_VERSION}", info.encoding_version);
        }
        if info.voice_ranges != voice_ranges_text() {
            bail!("the model was trained for voice ranges {}, this build uses {}", info.voice_ranges, voice_ranges_text());
        }
        let s = info.schedule;
        if !(s.sigma_min > 0.0 && s.sigma_max > s.sigma_min && s.levels >= 1 && info.epsilon > 0.0 && info.steps_per_level >= 1) {
            bail!(
                "the model's sampling schedule is invalid: σ from {} to {} in {} levels, ε {}, {} steps per level",
                s.sigma_max,
                s.sigma_min,
                s.levels,
                info.epsilon,
                info.steps_per_level
            );
        }
        Ok(info)
    }
}
