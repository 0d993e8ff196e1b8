//! Every sampler setting, declared once: its name, the values it takes (with their range),
//! what it means, and the field of [`SamplerSettings`] it sets.
//!
//! The `key=value` text a model carries ([`super::text`]) is read and written from this
//! table, and the host's command-line flags (`--levels`, `--refine-sigma`, …) are made
//! from it with the same names, ranges and help, so every command and every board holds
//! the same limits.

use super::constrain::Constraint;
use super::settings::{Init, Judge, Method, SamplerSettings};
use core::fmt;

/// Most noise levels.
pub const MAX_LEVELS: usize = 10_000;
/// Most Langevin steps per level (in the chain and in refinement).
pub const MAX_STEPS: usize = 1_000;
/// Most refinement rounds.
pub const MAX_REFINE: usize = 100;
/// Largest noise level (σ_max, σ_min, the refinement's σ and the judge's).
pub const MAX_SIGMA: f32 = 1000.0;
/// Most network evaluations one chain may take (a chorale, or a board's phrase): about as
/// many as the shipped model's plain schedule takes for a hundred chorales.
pub const MAX_EVALUATIONS: usize = 100_000;

/// The values a setting takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// A whole number from `low` to `high`.
    Count { low: usize, high: usize },
    /// A finite number up to `high`, from `low` (or above it, when `low_open`).
    Number { low: f32, high: f32, low_open: bool },
    /// `on` or `off` (also `true`/`false`, `yes`/`no`).
    Switch,
    /// One of these words.
    Choice(&'static [&'static str]),
}

/// A setting's value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    Count(usize),
    Number(f32),
    Switch(bool),
    /// The index of the word in the setting's [`Kind::Choice`].
    Choice(usize),
}

/// One sampler setting.
pub struct Setting {
    /// Its key in the text form (`refine_sigma`); the command-line flag is the same with
    /// dashes (`--refine-sigma`).
    pub name: &'static str,
    pub kind: Kind,
    /// What it does, a sentence or two.
    pub help: &'static str,
    /// Reads its field.
    pub get: fn(&SamplerSettings) -> Value,
    /// Sets its field (the value is of its kind and within its range).
    pub set: fn(&mut SamplerSettings, Value),
}

/// A setting is known by its name.
impl PartialEq for Setting {
    fn eq(&self, other: &Setting) -> bool {
        self.name == other.name
    }
}

impl fmt::Debug for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Setting").field("name", &self.name).field("kind", &self.kind).finish()
    }
}

/// Why a value is not one a setting takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadValue {
    /// Not a number, or not a whole one, or not one of the words.
    NotOfKind,
    /// NaN or an infinity.
    NotFinite,
    /// Outside the range.
    OutOfRange,
}

impl fmt::Display for Kind {
    /// The values in words, as `--help` states them: `1 to 10000`, `more than 0, up to 1`,
    /// `on or off`, `none, clip or simplex`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Kind::Count { low, high } => write!(f, "{low} to {high}"),
            Kind::Number { low, high, low_open: true } => write!(f, "more than {low}, up to {high}"),
            Kind::Number { low, high, low_open: false } => write!(f, "{low} to {high}"),
            Kind::Switch => f.write_str("on or off"),
            Kind::Choice(words) => {
                for (i, w) in words.iter().enumerate() {
                    let sep = match i {
                        0 => "",
                        i if i + 1 == words.len() => " or ",
                        _ => ", ",
                    };
                    write!(f, "{sep}{w}")?;
                }
                Ok(())
            }
        }
    }
}

fn on_off(v: &str) -> Option<bool> {
    match v {
        "on" | "true" | "yes" => Some(true),
        "off" | "false" | "no" => Some(false),
        _ => None,
    }
}

impl Kind {
    /// `text` as a value of this kind, within its range.
    pub fn parse(&self, text: &str) -> Result<Value, BadValue> {
        match *self {
            Kind::Count { low, high } => {
                let n: usize = text.trim().parse().map_err(|_| {
                    // A number too large for a count is out of range, not of another kind.
                    let digits = text.trim();
                    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                        BadValue::OutOfRange
                    } else {
                        BadValue::NotOfKind
                    }
                })?;
                if n < low || n > high {
                    return Err(BadValue::OutOfRange);
                }
                Ok(Value::Count(n))
            }
            Kind::Number { low, high, low_open } => {
                let v: f32 = text.trim().parse().map_err(|_| BadValue::NotOfKind)?;
                if !v.is_finite() {
                    return Err(BadValue::NotFinite);
                }
                let above = if low_open { v > low } else { v >= low };
                if !above || v > high {
                    return Err(BadValue::OutOfRange);
                }
                Ok(Value::Number(v))
            }
            Kind::Switch => on_off(text.trim()).map(Value::Switch).ok_or(BadValue::NotOfKind),
            Kind::Choice(words) => words.iter().position(|w| *w == text.trim()).map(Value::Choice).ok_or(BadValue::NotOfKind),
        }
    }

    /// Whether `value` is of this kind and within its range.
    pub fn holds(&self, value: Value) -> bool {
        match (*self, value) {
            (Kind::Count { low, high }, Value::Count(n)) => (low..=high).contains(&n),
            (Kind::Number { low, high, low_open }, Value::Number(v)) => v.is_finite() && (if low_open { v > low } else { v >= low }) && v <= high,
            (Kind::Switch, Value::Switch(_)) => true,
            (Kind::Choice(words), Value::Choice(i)) => i < words.len(),
            _ => false,
        }
    }
}

impl Setting {
    /// Writes `value` as the text form does.
    pub fn write_value(&self, value: Value, f: &mut dyn fmt::Write) -> fmt::Result {
        match (value, self.kind) {
            (Value::Count(n), _) => write!(f, "{n}"),
            (Value::Number(v), _) => write!(f, "{v}"),
            (Value::Switch(b), _) => f.write_str(if b { "on" } else { "off" }),
            (Value::Choice(i), Kind::Choice(words)) => f.write_str(words.get(i).copied().unwrap_or("?")),
            (Value::Choice(i), _) => write!(f, "{i}"),
        }
    }
}

/// The setting called `name` (its key in the text form).
pub fn setting(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.name == name)
}

const fn count(low: usize, high: usize) -> Kind {
    Kind::Count { low, high }
}

const fn within(low: f32, high: f32) -> Kind {
    Kind::Number { low, high, low_open: false }
}

const fn above(low: f32, high: f32) -> Kind {
    Kind::Number { low, high, low_open: true }
}

fn n(v: Value) -> usize {
    match v {
        Value::Count(n) => n,
        _ => 0,
    }
}

fn x(v: Value) -> f32 {
    match v {
        Value::Number(x) => x,
        _ => f32::NAN,
    }
}

fn b(v: Value) -> bool {
    matches!(v, Value::Switch(true))
}

fn c(v: Value) -> usize {
    match v {
        Value::Choice(i) => i,
        _ => usize::MAX,
    }
}

const INITS: [Init; 2] = [Init::Uniform, Init::Gaussian];
const CONSTRAINTS: [Constraint; 3] = [Constraint::None, Constraint::Clip, Constraint::Simplex];
const METHODS: [Method; 2] = [Method::Langevin, Method::Consistent];
const JUDGES: [Judge; 3] = [Judge::Network, Judge::Counterpoint, Judge::Rules];

fn index_of<T: PartialEq>(all: &[T], v: T) -> Value {
    Value::Choice(all.iter().position(|a| *a == v).unwrap_or(0))
}

fn pick<T: Copy>(all: &[T], v: Value, keep: T) -> T {
    all.get(c(v)).copied().unwrap_or(keep)
}

/// Every sampler setting, in the order of the text form.
pub static SETTINGS: [Setting; 22] = [
    Setting {
        name: "method",
        kind: Kind::Choice(&["langevin", "consistent"]),
        help: "How each step adds noise: langevin (NCSN's annealed Langevin dynamics) or consistent (consistent annealed \
               sampling: the noise left after each step matches the next level, so few levels suffice).",
        get: |s| index_of(&METHODS, s.method),
        set: |s, v| s.method = pick(&METHODS, v, s.method),
    },
    Setting {
        name: "levels",
        kind: count(1, MAX_LEVELS),
        help: "Number of noise levels, geometric from σ_max to σ_min.",
        get: |s| Value::Count(s.schedule.levels),
        set: |s, v| s.schedule.levels = n(v),
    },
    Setting {
        name: "sigma_max",
        kind: above(0.0, MAX_SIGMA),
        help: "Largest noise level σ_max.",
        get: |s| Value::Number(s.schedule.sigma_max),
        set: |s, v| s.schedule.sigma_max = x(v),
    },
    Setting {
        name: "sigma_min",
        kind: above(0.0, MAX_SIGMA),
        help: "Smallest noise level σ_min, at most σ_max.",
        get: |s| Value::Number(s.schedule.sigma_min),
        set: |s, v| s.schedule.sigma_min = x(v),
    },
    Setting {
        name: "steps",
        kind: count(1, MAX_STEPS),
        help: "Langevin steps per noise level.",
        get: |s| Value::Count(s.steps_per_level),
        set: |s, v| s.steps_per_level = n(v),
    },
    Setting {
        name: "epsilon",
        kind: above(0.0, 1.0),
        help: "Step size ε at the smallest noise level; level i steps by ε·(σ_i/σ_min)^p.",
        get: |s| Value::Number(s.epsilon),
        set: |s, v| s.epsilon = x(v),
    },
    Setting {
        name: "step_exponent",
        kind: within(0.0, 4.0),
        help: "Exponent p of the step-size rule ε·(σ_i/σ_min)^p (NCSN: 2).",
        get: |s| Value::Number(s.step_exponent),
        set: |s, v| s.step_exponent = x(v),
    },
    Setting {
        name: "temperature",
        kind: within(0.0, 4.0),
        help: "Scale of the injected noise: 1 is true Langevin dynamics, lower values give safer, plainer music.",
        get: |s| Value::Number(s.temperature),
        set: |s, v| s.temperature = x(v),
    },
    Setting {
        name: "init",
        kind: Kind::Choice(&["uniform", "gaussian"]),
        help: "Where the chain starts: uniform noise in [0, 1) or Gaussian noise at σ_max.",
        get: |s| index_of(&INITS, s.init),
        set: |s, v| s.init = pick(&INITS, v, s.init),
    },
    Setting {
        name: "predictor",
        kind: Kind::Switch,
        help: "Take a reverse-diffusion predictor step between noise levels (predictor–corrector sampling; one more \
               evaluation per level).",
        get: |s| Value::Switch(s.predictor),
        set: |s, v| s.predictor = b(v),
    },
    Setting {
        name: "constraint",
        kind: Kind::Choice(&["none", "clip", "simplex"]),
        help: "Constrain the network's denoised estimate x + σ²·s to where one-hot data can be: none, clip (each value to \
               [0, 1]) or simplex (each voice's values to a probability distribution).",
        get: |s| index_of(&CONSTRAINTS, s.constraint),
        set: |s, v| s.constraint = pick(&CONSTRAINTS, v, s.constraint),
    },
    Setting {
        name: "denoise",
        kind: Kind::Switch,
        help: "Take the final denoising step x ← x + σ_min²·s(x, σ_min).",
        get: |s| Value::Switch(s.final_denoise),
        set: |s, v| s.final_denoise = b(v),
    },
    Setting {
        name: "repeat_guidance",
        kind: within(0.0, 10.0),
        help: "Guidance against repeated notes: each note struck again at the pitch before it weighs e^−λ in the density \
               the sampler follows, so lines move more the larger it is (Bach repeats about one note in seven; 0 = the \
               network's own choice).",
        get: |s| Value::Number(s.repeat_guidance),
        set: |s, v| s.repeat_guidance = x(v),
    },
    Setting {
        name: "refine",
        kind: count(0, MAX_REFINE),
        help: "Refinement rounds after the chain: the chorale is judged (by the rules of part writing — parallels, crossed \
               voices, fermatas without a cadence — or by the network's own denoising error) and the faulty frames are \
               composed again (0 = off); harmonising takes at least 24 when the rules judge.",
        get: |s| Value::Count(s.refine.rounds),
        set: |s, v| s.refine.rounds = n(v),
    },
    Setting {
        name: "refine_fraction",
        kind: above(0.0, 1.0),
        help: "Share of frames re-sampled in each round the network judges, with half a beat around each.",
        get: |s| Value::Number(s.refine.fraction),
        set: |s, v| s.refine.fraction = x(v),
    },
    Setting {
        name: "refine_sigma",
        kind: above(0.0, MAX_SIGMA),
        help: "Noise level the re-sampled frames restart from.",
        get: |s| Value::Number(s.refine.sigma),
        set: |s, v| s.refine.sigma = x(v),
    },
    Setting {
        name: "judge_sigma",
        kind: above(0.0, MAX_SIGMA),
        help: "Noise level at which the network judges the chorale.",
        get: |s| Value::Number(s.refine.judge_sigma),
        set: |s, v| s.refine.judge_sigma = x(v),
    },
    Setting {
        name: "judge",
        kind: Kind::Choice(&["network", "counterpoint", "rules"]),
        help: "Who picks the frames refinement composes again: the network (those it denoises worst), counterpoint \
               (parallel fifths and octaves) or rules (those, crossed voices and fermatas without a cadence).",
        get: |s| index_of(&JUDGES, s.refine.judge),
        set: |s, v| s.refine.judge = pick(&JUDGES, v, s.refine.judge),
    },
    Setting {
        name: "refine_steps",
        kind: count(0, MAX_STEPS),
        help: "Langevin steps per level while refining (0 = as many as the chain's).",
        get: |s| Value::Count(s.refine.steps),
        set: |s, v| s.refine.steps = n(v),
    },
    Setting {
        name: "ending",
        kind: Kind::Choice(&["any", "home"]),
        help: "How the piece's last fermata must close when the rules judge: home (V–I or IV–I onto the tonic of the \
               piece's key and mode, the tonic held in the bass) or any (a cadence in any key, as every other fermata).",
        get: |s| Value::Choice(usize::from(s.refine.home_ending)),
        set: |s, v| s.refine.home_ending = c(v) == 1,
    },
    Setting {
        name: "opening",
        kind: Kind::Choice(&["any", "home"]),
        help: "How a freely composed piece must open when the rules judge: home (on the tonic or dominant triad of \
               its key and mode, the tonic struck in the bass) or any (as the network writes it).",
        get: |s| Value::Choice(usize::from(s.refine.home_opening)),
        set: |s, v| s.refine.home_opening = c(v) == 1,
    },
    Setting {
        name: "consecutives",
        kind: Kind::Choice(&["similar", "any"]),
        help: "Which consecutive fifths and octaves the counterpoint and rules judges mark: those in similar motion \
               (parallels) or any (in contrary motion too, as the textbook forbids).",
        get: |s| Value::Choice(usize::from(s.refine.contrary)),
        set: |s, v| s.refine.contrary = c(v) == 1,
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noise::NoiseSchedule;

    #[test]
    fn every_setting_reads_back_what_it_sets() {
        let base = SamplerSettings::ncsn(NoiseSchedule::new(6.0, 0.1, 12));
        for s in &SETTINGS {
            let value = match s.kind {
                Kind::Count { high, .. } => Value::Count(high),
                Kind::Number { high, .. } => Value::Number(high),
                Kind::Switch => Value::Switch(!b((s.get)(&base))),
                Kind::Choice(words) => Value::Choice(words.len() - 1),
            };
            let mut changed = base;
            (s.set)(&mut changed, value);
            assert_eq!((s.get)(&changed), value, "{}", s.name);
            assert_ne!(changed, base, "{} changes nothing", s.name);
            // The other settings are untouched.
            for other in SETTINGS.iter().filter(|o| o.name != s.name) {
                assert_eq!((other.get)(&changed), (other.get)(&base), "setting {} changed {}", s.name, other.name);
            }
            assert!(s.kind.holds((s.get)(&base)), "{}: the default is out of its range", s.name);
            assert_eq!(SETTINGS.iter().filter(|o| o.name == s.name).count(), 1, "two settings are called {}", s.name);
        }
    }

    #[test]
    fn values_are_parsed_within_their_range() {
        let levels = setting("levels").unwrap().kind;
        assert_eq!(levels.parse("12"), Ok(Value::Count(12)));
        assert_eq!(levels.parse("0"), Err(BadValue::OutOfRange));
        assert_eq!(levels.parse("10001"), Err(BadValue::OutOfRange));
        assert_eq!(levels.parse("18446744073709551616"), Err(BadValue::OutOfRange));
        assert_eq!(levels.parse("abc"), Err(BadValue::NotOfKind));
        assert_eq!(levels.parse("1.5"), Err(BadValue::NotOfKind));
        let eps = setting("epsilon").unwrap().kind;
        assert_eq!(eps.parse("1"), Ok(Value::Number(1.0)));
        assert_eq!(eps.parse("0"), Err(BadValue::OutOfRange));
        assert_eq!(eps.parse("NaN"), Err(BadValue::NotFinite));
        assert_eq!(eps.parse("-inf"), Err(BadValue::NotFinite));
        assert_eq!(setting("init").unwrap().kind.parse("gaussian"), Ok(Value::Choice(1)));
        assert_eq!(setting("denoise").unwrap().kind.parse("yes"), Ok(Value::Switch(true)));
        let mut words = heapless::String::<128>::new();
        fmt::write(&mut words, format_args!("{} | {} | {}", eps, setting("judge").unwrap().kind, levels)).unwrap();
        assert_eq!(words, "more than 0, up to 1 | network, counterpoint or rules | 1 to 10000");
    }
}
