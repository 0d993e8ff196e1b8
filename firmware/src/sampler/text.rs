//! Sampler settings as one line of `key=value` pairs, the form a model's metadata
//! carries them in (`kantor.sampler`), e.g.
//! `levels=12 sigma_max=6 sigma_min=0.1 steps=8 epsilon=0.002 init=gaussian`.
//!
//! Keys not given keep the value they had, so a line can override just a few settings.

use super::settings::SamplerSettings;
use super::table::{setting, BadValue, Kind, Setting, SETTINGS};
use core::fmt;

/// A line that cannot be read: the offending `key=value` pair and what is wrong with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadPair<'a> {
    pub pair: &'a str,
    pub problem: Problem,
}

/// What is wrong with a `key=value` pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// No `=` in it.
    NoValue,
    /// No setting has that name.
    UnknownKey,
    /// The value is not one the setting takes.
    BadValue(&'static str, BadValue),
}

impl fmt::Display for BadPair<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = |f: &mut fmt::Formatter<'_>| -> fmt::Result {
            for (i, s) in SETTINGS.iter().enumerate() {
                write!(f, "{}{}", if i == 0 { "" } else { ", " }, s.name)?;
            }
            Ok(())
        };
        match self.problem {
            Problem::NoValue => write!(f, "sampler setting {:?} has no value; write it as key=value, e.g. levels=12", self.pair),
            Problem::UnknownKey => {
                let key = self.pair.split_once('=').map_or(self.pair, |(k, _)| k);
                write!(f, "sampler setting {:?}: there is no setting called {key:?}; the settings are ", self.pair)?;
                names(f)
            }
            Problem::BadValue(name, why) => {
                write!(f, "sampler setting {:?}: {name} takes ", self.pair)?;
                let number = if why == BadValue::NotFinite { "a finite number" } else { "a number" };
                match setting(name).map(|s| s.kind) {
                    Some(k @ Kind::Count { .. }) => write!(f, "a whole number from {k}"),
                    Some(k @ Kind::Number { low_open: false, .. }) => write!(f, "{number} from {k}"),
                    Some(k @ Kind::Number { low_open: true, .. }) => write!(f, "{number} {k}"),
                    Some(k) => write!(f, "{k}"),
                    None => f.write_str("another value"),
                }
            }
        }
    }
}

impl SamplerSettings {
    /// Applies the `key=value` pairs of `text` (separated by spaces) to these settings,
    /// each value checked against its setting's range ([`super::table`]). Does not check
    /// that the result makes sense as a whole; see [`SamplerSettings::is_valid`].
    pub fn apply_text<'a>(&mut self, text: &'a str) -> Result<(), BadPair<'a>> {
        for pair in text.split_whitespace() {
            let bad = |problem| BadPair { pair, problem };
            let (key, value) = pair.split_once('=').ok_or(bad(Problem::NoValue))?;
            let s: &Setting = setting(key).ok_or(bad(Problem::UnknownKey))?;
            let v = s.kind.parse(value).map_err(|why| bad(Problem::BadValue(s.name, why)))?;
            (s.set)(self, v);
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
        for (i, s) in SETTINGS.iter().enumerate() {
            write!(f, "{}{}=", if i == 0 { "" } else { " " }, s.name)?;
            s.write_value((s.get)(self.0), f)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noise::NoiseSchedule;
    use crate::sampler::{Init, Method};

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
        let said = |text: &str| -> heapless::String<512> {
            let mut s = SamplerSettings::ncsn(NoiseSchedule::new(19.6, 0.05, 10));
            let e = s.apply_text(text).unwrap_err();
            let mut line = heapless::String::new();
            fmt::write(&mut line, format_args!("{e}")).unwrap();
            line
        };
        assert_eq!(s.apply_text("levels=3 steps=many").unwrap_err().pair, "steps=many");
        assert_eq!(said("levels=3 steps=many"), "sampler setting \"steps=many\": steps takes a whole number from 1 to 1000");
        assert_eq!(said("levels=abc"), "sampler setting \"levels=abc\": levels takes a whole number from 1 to 10000");
        assert_eq!(said("levels=0"), "sampler setting \"levels=0\": levels takes a whole number from 1 to 10000");
        assert_eq!(said("epsilon=inf"), "sampler setting \"epsilon=inf\": epsilon takes a finite number more than 0, up to 1");
        assert_eq!(said("init=normal"), "sampler setting \"init=normal\": init takes uniform or gaussian");
        assert_eq!(said("levels"), "sampler setting \"levels\" has no value; write it as key=value, e.g. levels=12");
        assert!(said("colour=blue").starts_with("sampler setting \"colour=blue\": there is no setting called \"colour\"; the settings are method, levels,"));
        assert!(s.is_valid());
        s.apply_text("sigma_min=30").unwrap();
        assert!(!s.is_valid());
    }
}
