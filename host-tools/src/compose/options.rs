//! Command-line options shared by `generate`, `harmonize` and `eval`: sampler overrides,
//! and parsing of time and key signatures. The sampler flags are declared once here, so
//! every command that composes offers the same ones with the same ranges.

use anyhow::{bail, Result};
use kantor_core::sampler::{Constraint, Init, Method, SamplerSettings};
use kantor_core::{Key, KeySignature, Mode, NoiseSchedule, TimeSignature};

/// Overrides of the model's default sampler settings, except the Langevin steps per level
/// (a single count for `generate` and `harmonize`, a list for `eval`: each command declares
/// its own `--steps`). Every number has a range (shown in `--help`); values outside it, NaN
/// and infinities are refused when the command line is read.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct SamplerArgs {
    /// Number of noise levels (default: the model's) [range: 1 to 10000].
    #[arg(long, allow_hyphen_values = true, value_parser = count_in(1, MAX_LEVELS))]
    pub levels: Option<usize>,
    /// Step size ε at the smallest noise level; level i steps by ε·(σ_i/σ_min)^p
    /// (default: the model's) [range: more than 0, up to 1].
    #[arg(long, allow_hyphen_values = true, value_parser = number_in(0.0, 1.0, true))]
    pub epsilon: Option<f32>,
    /// Exponent p of the step-size rule ε·(σ_i/σ_min)^p (NCSN: 2) [range: 0 to 4].
    #[arg(long, allow_hyphen_values = true, value_parser = number_in(0.0, 4.0, false))]
    pub step_exponent: Option<f32>,
    /// Scale of the injected noise: 1 is true Langevin dynamics, lower values give
    /// safer, plainer music (default: the model's) [range: 0 to 4].
    #[arg(long, allow_hyphen_values = true, value_parser = number_in(0.0, 4.0, false))]
    pub temperature: Option<f32>,
    /// Guidance against repeated notes: each note struck again at the pitch before it
    /// weighs e^−λ in the density the sampler follows, so lines move more the larger it is
    /// (Bach repeats about one note in seven; 0 = the network's own choice; default: the
    /// model's) [range: 0 to 10].
    #[arg(long, value_name = "λ", allow_hyphen_values = true, value_parser = number_in(0.0, 10.0, false))]
    pub repeat_guidance: Option<f32>,
    /// Largest noise level σ_max (default: the model's) [range: more than 0, up to 1000].
    #[arg(long, allow_hyphen_values = true, value_parser = number_in(0.0, MAX_SIGMA, true))]
    pub sigma_max: Option<f32>,
    /// Smallest noise level σ_min, at most σ_max (default: the model's) [range: more than
    /// 0, up to 1000].
    #[arg(long, allow_hyphen_values = true, value_parser = number_in(0.0, MAX_SIGMA, true))]
    pub sigma_min: Option<f32>,
    /// Skip the final denoising step x ← x + σ_min²·s(x, σ_min).
    #[arg(long)]
    pub no_denoise: bool,
    /// Where the chain starts: uniform noise in [0, 1) or Gaussian noise at σ_max.
    #[arg(long, value_enum)]
    pub init: Option<InitArg>,
    /// Take a reverse-diffusion predictor step between noise levels (predictor–corrector
    /// sampling; one more evaluation per level): on or off (also true/false, yes/no).
    #[arg(long, value_parser = clap::builder::BoolishValueParser::new())]
    pub predictor: Option<bool>,
    /// Constrain the network's denoised estimate x + σ²·s to where one-hot data can be:
    /// none, clip (each value to [0, 1]) or simplex (each voice's values to a probability
    /// distribution).
    #[arg(long, value_enum)]
    pub constraint: Option<ConstraintArg>,
    /// How each step adds noise: langevin (NCSN's annealed Langevin dynamics) or
    /// consistent (consistent annealed sampling: the noise left after each step matches
    /// the next level, so few levels suffice).
    #[arg(long, value_enum)]
    pub method: Option<MethodArg>,
    /// Refinement rounds after the chain: the chorale is judged (by the rules of part
    /// writing — parallels, crossed voices, fermatas without a cadence — or by the
    /// network's own denoising error, as the model says) and the faulty frames are composed
    /// again (0 = off). Default: the model's; `harmonize` takes at least 24 when the rules
    /// judge [range: 0 to 100].
    #[arg(long, allow_hyphen_values = true, value_name = "ROUNDS", value_parser = count_in(0, MAX_REFINE))]
    pub refine: Option<usize>,
    /// Share of frames re-sampled in each self-judging round, with half a beat around
    /// each [range: more than 0, up to 1].
    #[arg(long, allow_hyphen_values = true, value_parser = number_in(0.0, 1.0, true))]
    pub refine_fraction: Option<f32>,
    /// Noise level the re-sampled frames restart from [range: more than 0, up to 1000].
    #[arg(long, allow_hyphen_values = true, value_parser = number_in(0.0, MAX_SIGMA, true))]
    pub refine_sigma: Option<f32>,
    /// Noise level at which the network judges the chorale [range: more than 0, up to
    /// 1000].
    #[arg(long, allow_hyphen_values = true, value_parser = number_in(0.0, MAX_SIGMA, true))]
    pub judge_sigma: Option<f32>,
}

/// Most noise levels `--levels` accepts.
pub const MAX_LEVELS: u64 = 10_000;
/// Most Langevin steps per level `--steps` accepts.
pub const MAX_STEPS: u64 = 1_000;
/// Most self-judging rounds `--refine` accepts.
pub const MAX_REFINE: u64 = 100;
/// Largest noise level (σ_max, σ_min, refine and judge σ) accepted.
pub const MAX_SIGMA: f32 = 1000.0;
/// Most network evaluations one chorale may take (about as many as the shipped model's
/// plain schedule takes for a hundred chorales).
pub const MAX_EVALUATIONS: usize = 100_000;

/// A command-line parser for a whole number in `lo..=hi`.
pub fn count_in(lo: u64, hi: u64) -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(lo..=hi)
}

/// A command-line parser for a finite number in `lo..=hi` (`lo` itself excluded when
/// `above_lo`); NaN and infinities are refused with the range in the message.
pub fn number_in(lo: f32, hi: f32, above_lo: bool) -> impl Fn(&str) -> Result<f32, String> + Clone + Send + Sync + 'static {
    move |text: &str| {
        let range = if above_lo { format!("above {lo} and at most {hi}") } else { format!("from {lo} to {hi}") };
        let v: f32 = text.trim().parse().map_err(|_| format!("'{text}' is not a number (give one {range})"))?;
        let above = if above_lo { v > lo } else { v >= lo };
        let inside = v.is_finite() && above && v <= hi;
        if !inside {
            return Err(format!("{text} is out of range: give a number {range}"));
        }
        Ok(v)
    }
}

/// How the sampler steps, as a command-line value.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MethodArg {
    Langevin,
    Consistent,
}

/// How the denoised estimate is constrained, as a command-line value.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstraintArg {
    None,
    Clip,
    Simplex,
}

/// Starting point of the chain, as a command-line value.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitArg {
    Uniform,
    Gaussian,
}

impl SamplerArgs {
    /// The model's defaults with these overrides and `steps` (Langevin steps per level;
    /// `None` = the model's) applied; checks that they make sense.
    pub fn apply(&self, defaults: SamplerSettings, steps: Option<usize>) -> Result<SamplerSettings> {
        let d = defaults.schedule;
        let schedule = NoiseSchedule::new(
            self.sigma_max.unwrap_or(d.sigma_max),
            self.sigma_min.unwrap_or(d.sigma_min),
            self.levels.unwrap_or(d.levels),
        );
        let s = SamplerSettings {
            schedule,
            epsilon: self.epsilon.unwrap_or(defaults.epsilon),
            steps_per_level: steps.unwrap_or(defaults.steps_per_level),
            temperature: self.temperature.unwrap_or(defaults.temperature),
            step_exponent: self.step_exponent.unwrap_or(defaults.step_exponent),
            final_denoise: defaults.final_denoise && !self.no_denoise,
            init: match self.init {
                Some(InitArg::Uniform) => Init::Uniform,
                Some(InitArg::Gaussian) => Init::Gaussian,
                None => defaults.init,
            },
            predictor: self.predictor.unwrap_or(defaults.predictor),
            constraint: match self.constraint {
                Some(ConstraintArg::None) => Constraint::None,
                Some(ConstraintArg::Clip) => Constraint::Clip,
                Some(ConstraintArg::Simplex) => Constraint::Simplex,
                None => defaults.constraint,
            },
            method: match self.method {
                Some(MethodArg::Langevin) => Method::Langevin,
                Some(MethodArg::Consistent) => Method::Consistent,
                None => defaults.method,
            },
            refine: kantor_core::sampler::Refine {
                rounds: self.refine.unwrap_or(defaults.refine.rounds),
                fraction: self.refine_fraction.unwrap_or(defaults.refine.fraction),
                sigma: self.refine_sigma.unwrap_or(defaults.refine.sigma),
                judge_sigma: self.judge_sigma.unwrap_or(defaults.refine.judge_sigma),
                judge: defaults.refine.judge,
                steps: defaults.refine.steps,
                home_ending: defaults.refine.home_ending,
            },
            repeat_guidance: self.repeat_guidance.unwrap_or(defaults.repeat_guidance),
        };
        if s.schedule.levels == 0 {
            bail!("--levels must be at least 1");
        }
        if !(s.schedule.sigma_min > 0.0 && s.schedule.sigma_max >= s.schedule.sigma_min && s.schedule.sigma_max.is_finite()) {
            bail!("noise levels need 0 < σ_min ≤ σ_max (got σ_max {}, σ_min {})", s.schedule.sigma_max, s.schedule.sigma_min);
        }
        if !(s.epsilon > 0.0 && s.epsilon.is_finite()) {
            bail!("--epsilon must be positive (got {})", s.epsilon);
        }
        if !(s.temperature >= 0.0 && s.temperature.is_finite()) {
            bail!("--temperature must be zero or positive (got {})", s.temperature);
        }
        if !s.step_exponent.is_finite() {
            bail!("--step-exponent must be a number");
        }
        if s.steps_per_level == 0 {
            bail!("--steps must be at least 1");
        }
        if !s.is_valid() {
            bail!("--refine-fraction must lie in (0, 1] and --refine-sigma and --judge-sigma must be positive");
        }
        if s.evaluations() > MAX_EVALUATIONS {
            bail!(
                "these settings take {} network evaluations per chorale; at most {MAX_EVALUATIONS} are allowed \
                 (lower --levels, --steps or --refine)",
                s.evaluations()
            );
        }
        Ok(s)
    }
}

/// What `--time` accepts, for its help and its errors.
pub const TIME_SIGNATURES: &str = "N/2 for N = 1–3, N/4 for N = 1–6, N/8 for N = 1–12, N/16 for N = 1–24, or 1/1";

/// Parses a time signature such as `4/4`, `3/4` or `3/2`: any signature whose bar is a
/// whole number of 16ths and at most six quarters long (see [`TIME_SIGNATURES`]).
pub fn parse_time(text: &str) -> Result<TimeSignature, String> {
    let (n, d) = text.split_once('/').ok_or_else(|| format!("'{text}' is not a time signature like 4/4 (accepted: {TIME_SIGNATURES})"))?;
    let numerator: u8 = n.trim().parse().map_err(|_| format!("'{n}' is not a number of beats (accepted: {TIME_SIGNATURES})"))?;
    let denominator: u8 = d.trim().parse().map_err(|_| format!("'{d}' is not a beat unit (accepted: {TIME_SIGNATURES})"))?;
    let time = TimeSignature { numerator, denominator };
    if time.frames_per_bar().is_none() {
        return Err(format!("{text} is not supported: bars must be whole 16ths and at most six quarters ({TIME_SIGNATURES})"));
    }
    Ok(time)
}

/// A length in quarter notes, on the 16th grid, as a number of 16ths.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Sixteenths(pub usize);

/// Parses a length in quarter notes that is a whole number of 16ths: `1` (a quarter),
/// `0.5` (an eighth), `1.75`; at most six quarters (the longest bar).
pub fn parse_quarters(text: &str) -> Result<Sixteenths, String> {
    let q: f64 = text.trim().parse().map_err(|_| format!("'{text}' is not a number of quarter notes (e.g. 1, or 0.5 for an eighth)"))?;
    if !(q.is_finite() && (0.0..=6.0).contains(&q)) {
        return Err(format!("{text} is out of range: give 0 to 6 quarter notes, less than a bar"));
    }
    let sixteenths = q * 4.0;
    if (sixteenths - sixteenths.round()).abs() > 1e-9 {
        return Err(format!("{text} quarters is not a whole number of 16ths: use steps of 0.25 (0.5 is an eighth, 0.75 a dotted eighth)"));
    }
    Ok(Sixteenths(sixteenths.round() as usize))
}

/// Parses a seed: a whole number from 0 to 2^64 − 1, with a clear word for a negative one.
pub fn parse_seed(text: &str) -> Result<u64, String> {
    let t = text.trim();
    t.parse::<u64>().map_err(|_| {
        if t.starts_with('-') && t[1..].chars().all(|c| c.is_ascii_digit()) && t.len() > 1 {
            format!("{t} is negative: a seed is a whole number from 0 to {}", u64::MAX)
        } else {
            format!("'{t}' is not a seed: give a whole number from 0 to {}", u64::MAX)
        }
    })
}

/// Parses a key: a name (`G`, `Eb`, `F#m`, `Bb minor`, `c minor`; `m`, `min`, `minor`
/// or `moll` for minor) or a count of sharps (`2`) or flats (`-3`) for the major key of
/// that signature. A name whose signature would need more than seven sharps or flats
/// (`E#`, `Fb`, `Dbm`) is refused with the key that sounds the same.
pub fn parse_key(text: &str) -> Result<Key, String> {
    let t = text.trim();
    if let Ok(f) = t.parse::<i8>() {
        if (-7..=7).contains(&f) {
            return Ok(Key::of_signature(KeySignature { fifths: f }, Mode::Major));
        }
        return Err(format!("{f} fifths is not a key signature (use -7..7)"));
    }
    let bad = || format!("'{text}' is not a key: use a name like G, Eb, Am, F#m or a number of sharps (2) or flats (-3)");
    let mut chars = t.chars();
    let letter = chars.next().ok_or_else(bad)?.to_ascii_uppercase();
    // Fifths of the natural major keys; a sharp adds seven, a flat takes seven away.
    let natural: i32 = match letter {
        'C' => 0,
        'G' => 1,
        'D' => 2,
        'A' => 3,
        'E' => 4,
        'B' => 5,
        'F' => -1,
        _ => return Err(bad()),
    };
    let rest: String = chars.collect();
    let (accidental, suffix, sign) = if let Some(m) = rest.strip_prefix('#').or_else(|| rest.strip_prefix('♯')) {
        (7, m, "#")
    } else if let Some(m) = rest.strip_prefix('b').or_else(|| rest.strip_prefix('♭')) {
        (-7, m, "b")
    } else {
        (0, rest.as_str(), "")
    };
    // A minor key has the signature of its relative major, three fifths flatter.
    let mode = match suffix.trim().to_ascii_lowercase().as_str() {
        "" | "maj" | "major" | "dur" => Mode::Major,
        "m" | "min" | "minor" | "moll" => Mode::Minor,
        _ => return Err(bad()),
    };
    let fifths = natural + accidental + if mode == Mode::Minor { -3 } else { 0 };
    let major_tonic = (fifths * 7).rem_euclid(12) as u8;
    let key = Key::of_signature(KeySignature::from_major_tonic(major_tonic), mode);
    if !(-7..=7).contains(&fifths) {
        let m = if mode == Mode::Minor { "m" } else { "" };
        return Err(format!(
            "{letter}{sign}{m} would need {} {}: it sounds as {key}, so write --key {}{m}",
            fifths.abs(),
            if fifths > 0 { "sharps" } else { "flats" },
            key.tonic_name()
        ));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_by_name_and_number() {
        let f = |s: &str| parse_key(s).map(|k| (k.signature().fifths, k.mode));
        use Mode::{Major, Minor};
        assert_eq!(f("G"), Ok((1, Major)));
        assert_eq!(f("Eb"), Ok((-3, Major)));
        assert_eq!(f("-3"), Ok((-3, Major)));
        assert_eq!(f("Am"), Ok((0, Minor)));
        assert_eq!(f("c minor"), Ok((-3, Minor)));
        assert_eq!(f("Gb"), Ok((-6, Major)));
        assert_eq!(f("F#m"), Ok((3, Minor)));
        assert_eq!(f("Bb minor"), Ok((-5, Minor)));
        assert_eq!(f("B"), Ok((5, Major)));
        assert_eq!(parse_key("F#").map(|k| k.tonic), Ok(6));
        assert_eq!(parse_key("Ebm").map(|k| (k.tonic, k.mode)), Ok((3, Minor)));
        assert_eq!(parse_key("D#m").map(|k| (k.tonic, k.mode)), Ok((3, Minor)));
        // Every one of the 24 keys by name, as it prints itself.
        for tonic in 0..12 {
            for mode in [Major, Minor] {
                let key = Key { tonic, mode };
                let name = format!("{}{}", key.tonic_name(), if mode == Minor { "m" } else { "" });
                assert_eq!(parse_key(&name), Ok(key), "{name}");
            }
        }
        assert!(parse_key("H").is_err());
        assert!(parse_key("9").is_err());
        let e_sharp = parse_key("E#").unwrap_err();
        assert!(e_sharp.contains("11 sharps") && e_sharp.contains("--key F"), "{e_sharp}");
        assert!(parse_key("Dbm").unwrap_err().contains("--key C#m"));
    }

    #[test]
    fn time_signatures() {
        assert_eq!(parse_time("3/2"), Ok(TimeSignature::THREE_TWO));
        assert!(parse_time("7/4").is_err());
        assert!(parse_time("four").is_err());
        // Exactly what the help lists is accepted.
        let listed: Vec<String> = (1..=3)
            .map(|n| format!("{n}/2"))
            .chain((1..=6).map(|n| format!("{n}/4")))
            .chain((1..=12).map(|n| format!("{n}/8")))
            .chain((1..=24).map(|n| format!("{n}/16")))
            .chain(["1/1".to_string()])
            .collect();
        for n in 0..=30 {
            for d in [1, 2, 3, 4, 5, 8, 16, 32] {
                let text = format!("{n}/{d}");
                assert_eq!(parse_time(&text).is_ok(), listed.contains(&text), "{text}");
            }
        }
    }

    #[test]
    fn pickups_in_quarters_on_the_grid() {
        assert_eq!(parse_quarters("1"), Ok(Sixteenths(4)));
        assert_eq!(parse_quarters("0.5"), Ok(Sixteenths(2)));
        assert_eq!(parse_quarters("0"), Ok(Sixteenths(0)));
        assert!(parse_quarters("0.3").unwrap_err().contains("16ths"));
        assert!(parse_quarters("-1").unwrap_err().contains("out of range"));
        assert!(parse_quarters("NaN").is_err());
        assert!(parse_quarters("inf").is_err());
    }

    #[test]
    fn seeds() {
        assert_eq!(parse_seed("7"), Ok(7));
        assert_eq!(parse_seed("18446744073709551615"), Ok(u64::MAX));
        assert!(parse_seed("-1").unwrap_err().contains("negative"));
        assert!(parse_seed("x").unwrap_err().contains("not a seed"));
    }

    #[test]
    fn numbers_refuse_nan_infinity_and_out_of_range() {
        let eps = number_in(0.0, 1.0, true);
        assert_eq!(eps("0.5"), Ok(0.5));
        assert_eq!(eps("1"), Ok(1.0));
        for bad in ["0", "NaN", "inf", "-inf", "1e30", "-0.1", "x"] {
            assert!(eps(bad).is_err(), "{bad}");
        }
        assert_eq!(number_in(0.0, 4.0, false)("0"), Ok(0.0));
    }

    #[test]
    fn overrides_replace_defaults() {
        let d = SamplerSettings::ncsn(NoiseSchedule::new(10.0, 0.1, 20));
        let a = SamplerArgs { levels: Some(5), temperature: Some(0.5), repeat_guidance: Some(1.5), no_denoise: true, ..Default::default() };
        let s = a.apply(d, Some(7)).unwrap();
        assert_eq!(s.steps_per_level, 7);
        assert_eq!(a.apply(d, None).unwrap().steps_per_level, d.steps_per_level);
        assert_eq!(s.schedule.levels, 5);
        assert_eq!(s.schedule.sigma_max, 10.0);
        assert_eq!(s.temperature, 0.5);
        assert_eq!(s.repeat_guidance, 1.5);
        assert!(!s.final_denoise);
        assert!(SamplerArgs { sigma_min: Some(20.0), ..Default::default() }.apply(d, None).is_err());
        assert!(SamplerArgs { epsilon: Some(-1.0), ..Default::default() }.apply(d, None).is_err());
    }
}
