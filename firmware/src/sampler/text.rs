//! Sampler settings as one line of `key=value` pairs, the form a model's metadata
//! carries them in (`kantor.sampler`), e.g.
//! `levels=12 sigma_max=6 sigma_min=0.1 steps=8 epsilon=0.002 init=gaussian`.
//!
//! Keys not given keep the value they had, so a line can override just a few settings.

use super::constrain::Constraint;
use super::settings::{Init, Judge, Method, SamplerSettings};
use core::fmt;

/// A line that cannot be read: the offending `key=value` pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadPair<'a>(pub &'a str);

impl fmt::Display for BadPair<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sampler setting {:?} is not a known key=value pair", self.0)
    }
}

fn on_off(v: &str) -> Option<bool> {
    match v {
        "on" | "true" | "yes" => Some(true),
        "off" | "false" | "no" => Some(false),
        _ => None,
    }
}

fn word(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

impl SamplerSettings {
    /// Applies the `key=value` pairs of `text` (separated by spaces) to these settings.
    /// Does not check that the result makes sense as a whole; see
    /// [`SamplerSettings::is_valid`].
    pub fn apply_text<'a>(&mut self, text: &'a str) -> Result<(), BadPair<'a>> {
        for pair in text.split_whitespace() {
            let bad = BadPair(pair);
            let (key, value) = pair.split_once('=').ok_or(bad)?;
            let f = || value.parse::<f32>().ok().filter(|v| v.is_finite()).ok_or(bad);
            let n = || value.parse::<usize>().map_err(|_| bad);
            match key {
                "sigma_max" => self.schedule.sigma_max = f()?,
                "sigma_min" => self.schedule.sigma_min = f()?,
                "levels" => self.schedule.levels = n()?,
                "steps" => self.steps_per_level = n()?,
                "epsilon" => self.epsilon = f()?,
                "step_exponent" => self.step_exponent = f()?,
                "temperature" => self.temperature = f()?,
                "denoise" => self.final_denoise = on_off(value).ok_or(bad)?,
                "predictor" => self.predictor = on_off(value).ok_or(bad)?,
                "init" => {
                    self.init = match value {
                        "uniform" => Init::Uniform,
                        "gaussian" => Init::Gaussian,
                        _ => return Err(bad),
                    }
                }
                "constraint" => {
                    self.constraint = match value {
                        "none" => Constraint::None,
                        "clip" => Constraint::Clip,
                        "simplex" => Constraint::Simplex,
                        _ => return Err(bad),
                    }
                }
                "method" => {
                    self.method = match value {
                        "langevin" => Method::Langevin,
                        "consistent" => Method::Consistent,
                        _ => return Err(bad),
                    }
                }
                "repeat_guidance" => self.repeat_guidance = f()?,
                "refine" => self.refine.rounds = n()?,
                "refine_fraction" => self.refine.fraction = f()?,
                "refine_sigma" => self.refine.sigma = f()?,
                "judge_sigma" => self.refine.judge_sigma = f()?,
                "refine_steps" => self.refine.steps = n()?,
                "ending" => {
                    self.refine.home_ending = match value {
                        "home" => true,
                        "any" => false,
                        _ => return Err(bad),
                    }
                }
                "judge" => {
                    self.refine.judge = match value {
                        "network" => Judge::Network,
                        "counterpoint" => Judge::Counterpoint,
                        "rules" => Judge::Rules,
                        _ => return Err(bad),
                    }
                }
                _ => return Err(bad),
            }
        }
        Ok(())
    }

    /// Whether the settings can run: at least one level and one step, 0 < σ_min ≤ σ_max,
    /// positive ε, non-negative temperature, and sensible refinement values.
    pub fn is_valid(&self) -> bool {
        let s = &self.schedule;
        let r = &self.refine;
        s.levels >= 1
            && self.steps_per_level >= 1
            && s.sigma_min > 0.0
            && s.sigma_max >= s.sigma_min
            && self.epsilon > 0.0
            && self.temperature >= 0.0
            && self.repeat_guidance >= 0.0
            && (r.rounds == 0 || (r.fraction > 0.0 && r.fraction <= 1.0 && r.sigma > 0.0 && r.judge_sigma > 0.0))
    }

    /// These settings as a line [`SamplerSettings::apply_text`] reads back.
    pub fn text(&self) -> SettingsText<'_> {
        SettingsText(self)
    }
}

/// Displays settings as `key=value` pairs.
pub struct SettingsText<'a>(&'a SamplerSettings);

impl fmt::Display for SettingsText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let init = match s.init {
            Init::Uniform => "uniform",
            Init::Gaussian => "gaussian",
        };
        let constraint = match s.constraint {
            Constraint::None => "none",
            Constraint::Clip => "clip",
            Constraint::Simplex => "simplex",
        };
        let method = match s.method {
            Method::Langevin => "langevin",
            Method::Consistent => "consistent",
        };
        write!(
            f,
            "method={method} levels={} sigma_max={} sigma_min={} steps={} epsilon={} step_exponent={} temperature={} \
             init={init} predictor={} constraint={constraint} denoise={} repeat_guidance={}",
            s.schedule.levels,
            s.schedule.sigma_max,
            s.schedule.sigma_min,
            s.steps_per_level,
            s.epsilon,
            s.step_exponent,
            s.temperature,
            word(s.predictor),
            word(s.final_denoise),
            s.repeat_guidance,
        )?;
        let r = &s.refine;
        write!(
            f,
            " refine={} refine_fraction={} refine_sigma={} judge_sigma={} judge={} refine_steps={} ending={}",
            r.rounds,
            r.fraction,
            r.sigma,
            r.judge_sigma,
            match r.judge {
                Judge::Network => "network",
                Judge::Counterpoint => "counterpoint",
                Judge::Rules => "rules",
            },
            r.steps,
            if r.home_ending { "home" } else { "any" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noise::NoiseSchedule;

    #[test]
    fn text_round_trip_and_partial_override() {
        let base = SamplerSettings::ncsn(NoiseSchedule::new(19.6, 0.05, 225));
        let mut s = base;
        s.apply_text("levels=12 sigma_max=6.5 method=consistent init=gaussian predictor=on refine=2 judge_sigma=0.25 repeat_guidance=1.5")
            .unwrap();
        assert_eq!(s.schedule.levels, 12);
        assert_eq!(s.schedule.sigma_max, 6.5);
        assert_eq!(s.schedule.sigma_min, 0.05);
        assert_eq!(s.method, Method::Consistent);
        assert_eq!(s.init, Init::Gaussian);
        assert!(s.predictor);
        assert_eq!(s.refine.rounds, 2);
        assert_eq!(s.repeat_guidance, 1.5);
        assert_eq!(s.epsilon, base.epsilon);

        let mut line = heapless::String::<400>::new();
        fmt::write(&mut line, format_args!("{}", s.text())).unwrap();
        let mut back = SamplerSettings::ncsn(NoiseSchedule::new(1.0, 0.5, 3));
        back.apply_text(&line).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn bad_pairs_are_named() {
        let mut s = SamplerSettings::ncsn(NoiseSchedule::new(19.6, 0.05, 10));
        assert_eq!(s.apply_text("levels=3 steps=many"), Err(BadPair("steps=many")));
        assert_eq!(s.apply_text("colour=blue"), Err(BadPair("colour=blue")));
        assert_eq!(s.apply_text("epsilon=inf"), Err(BadPair("epsilon=inf")));
        assert_eq!(s.apply_text("levels"), Err(BadPair("levels")));
        assert!(s.is_valid());
        s.apply_text("sigma_min=30").unwrap();
        assert!(!s.is_valid());
    }
}
