//! Command-line options shared by `generate`, `harmonize`, `eval` and `play`: sampler
//! overrides, and parsing of time and key signatures. The sampler flags are made from the
//! device core's table of settings ([`kantor_core::sampler::table`]): one flag per setting,
//! with its name, range and help, so every command offers the same ones with the same
//! limits as a model's `kantor.sampler` text.

use crate::ranges::InRange;
use anyhow::{bail, Result};
use clap::builder::PossibleValuesParser;
use clap::{Arg, ArgAction, ArgGroup, ArgMatches};
use kantor_core::sampler::table::{self, Kind, Setting, Value, SETTINGS};
use kantor_core::sampler::SamplerSettings;
use kantor_core::{Key, KeySignature, Mode, TimeSignature};

pub use kantor_core::sampler::table::MAX_EVALUATIONS;

/// The settings each command declares itself: the Langevin steps per level (one count for
/// `generate` and `harmonize`, a list for `eval`, a board's budget for `play`).
const OWN: &[&str] = &["steps"];

/// The command-line flag of a setting: its name with dashes (`--refine-sigma`).
pub fn flag(s: &Setting) -> String {
    s.name.replace('_', "-")
}

fn the(name: &str) -> &'static Setting {
    table::setting(name).unwrap_or_else(|| panic!("no sampler setting called {name}"))
}

/// The range of the setting `name` as a command-line parser (a count).
pub fn count_parser(name: &str) -> InRange<usize> {
    match the(name).kind {
        Kind::Count { low, high } => crate::ranges::within(low, high),
        k => panic!("sampler setting {name} is not a count but {k}"),
    }
}

/// The help of the setting `name` as a flag: its text, what the default is, its range.
pub fn flag_help(name: &str) -> String {
    let s = the(name);
    let range = match s.kind {
        Kind::Count { .. } | Kind::Number { .. } => format!(" [range: {}]", s.kind),
        _ => String::new(),
    };
    format!("{} Default: the model's.{range}", s.help)
}

/// The keys of the text form, for help texts: `method, levels, sigma_max, …`.
pub fn setting_keys() -> String {
    SETTINGS.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
}

/// Overrides of the model's default sampler settings: one flag per setting of the core's
/// table except the Langevin steps per level ([`OWN`]: each command declares its own
/// `--steps`). Every number has a range (shown in `--help`); values outside it, NaN and
/// infinities are refused when the command line is read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SamplerArgs {
    /// The settings given, in the order of the table.
    pub given: Vec<(&'static Setting, Value)>,
}

impl SamplerArgs {
    /// Overrides from `key=value` pairs, as a model's `kantor.sampler` holds them.
    pub fn from_text(text: &str) -> Result<SamplerArgs> {
        let mut given = Vec::new();
        for pair in text.split_whitespace() {
            let mut probe = SamplerSettings::ncsn(kantor_core::NoiseSchedule::new(1.0, 0.1, 2));
            probe.apply_text(pair).map_err(|e| anyhow::anyhow!("{e}"))?;
            let key = pair.split_once('=').map_or(pair, |(k, _)| k);
            let s = the(key);
            given.push((s, (s.get)(&probe)));
        }
        Ok(SamplerArgs { given })
    }

    /// The model's defaults with these overrides and `steps` (Langevin steps per level;
    /// `None` = the model's) applied; checks that they make sense together.
    pub fn apply(&self, defaults: SamplerSettings, steps: Option<usize>) -> Result<SamplerSettings> {
        let mut s = defaults;
        for (setting, value) in &self.given {
            (setting.set)(&mut s, *value);
        }
        if let Some(t) = steps {
            s.steps_per_level = t;
        }
        check(&s)?;
        Ok(s)
    }
}

/// Whether settings can run and are bounded, with a message that says what to change.
pub fn check(s: &SamplerSettings) -> Result<()> {
    if !(s.schedule.sigma_min > 0.0 && s.schedule.sigma_max >= s.schedule.sigma_min && s.schedule.sigma_max.is_finite()) {
        bail!("noise levels need 0 < σ_min ≤ σ_max (got σ_max {}, σ_min {}): lower --sigma-min or raise --sigma-max", s.schedule.sigma_max, s.schedule.sigma_min);
    }
    if let Some(bad) = s.out_of_range() {
        let mut value = String::new();
        let _ = bad.write_value((bad.get)(s), &mut value);
        bail!("{} = {value} is out of range: --{} takes {}", bad.name, flag(bad), bad.kind);
    }
    if !s.is_valid() {
        bail!("these sampler settings cannot run ({}): levels and steps ≥ 1, 0 < σ_min ≤ σ_max, ε > 0", s.text());
    }
    if s.evaluations() > MAX_EVALUATIONS {
        bail!(
            "these settings take {} network evaluations per chorale; at most {MAX_EVALUATIONS} are allowed \
             (lower --levels, --steps or --refine)",
            s.evaluations()
        );
    }
    Ok(())
}

impl clap::FromArgMatches for SamplerArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let mut a = SamplerArgs::default();
        a.update_from_arg_matches(m)?;
        Ok(a)
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        let mut given: Vec<(&'static Setting, Value)> = Vec::new();
        for s in SETTINGS.iter().filter(|s| !OWN.contains(&s.name)) {
            let value = match s.kind {
                Kind::Count { .. } => m.get_one::<usize>(s.name).map(|&n| Value::Count(n)),
                Kind::Number { .. } => m.get_one::<f32>(s.name).map(|&x| Value::Number(x)),
                Kind::Switch => m.get_one::<bool>(s.name).map(|&b| Value::Switch(b)),
                Kind::Choice(words) => m.get_one::<String>(s.name).and_then(|w| words.iter().position(|x| x == w)).map(Value::Choice),
            };
            let value = match (s.name, value) {
                ("denoise", None) if m.get_flag(NO_DENOISE) => Some(Value::Switch(false)),
                (_, v) => v,
            };
            if let Some(v) = value {
                given.push((s, v));
            } else if let Some(old) = self.given.iter().find(|(o, _)| o.name == s.name) {
                given.push(*old);
            }
        }
        self.given = given;
        Ok(())
    }
}

/// `--no-denoise`, the older spelling of `--denoise off`.
const NO_DENOISE: &str = "no_denoise";

impl clap::Args for SamplerArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        let mut ids = Vec::new();
        let mut cmd = cmd;
        for s in SETTINGS.iter().filter(|s| !OWN.contains(&s.name)) {
            // Made once per command line, so the flag's name may live as long as it.
            let long: &'static str = Box::leak(flag(s).into_boxed_str());
            let arg = Arg::new(s.name).long(long).action(ArgAction::Set).help(flag_help(s.name)).allow_hyphen_values(true);
            let arg = match s.kind {
                Kind::Count { low, high } => arg.value_parser(crate::ranges::within(low, high)),
                Kind::Number { low, high, low_open } => arg.value_parser(InRange { low, high, low_open }),
                Kind::Switch => arg.value_parser(clap::builder::BoolishValueParser::new()).value_name("on|off"),
                Kind::Choice(words) => arg.value_parser(PossibleValuesParser::new(words.iter().copied())),
            };
            ids.push(s.name);
            cmd = cmd.arg(arg);
        }
        cmd.arg(Arg::new(NO_DENOISE).long("no-denoise").action(ArgAction::SetTrue).conflicts_with("denoise").help("The same as --denoise off."))
            .group(ArgGroup::new("SamplerArgs").multiple(true).args(ids.into_iter().chain([NO_DENOISE])))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
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
    use kantor_core::NoiseSchedule;

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

    #[derive(clap::Parser)]
    struct Flags {
        #[command(flatten)]
        sampler: SamplerArgs,
    }

    fn flags(argv: &[&str]) -> Result<SamplerArgs, String> {
        use clap::Parser;
        Flags::try_parse_from(std::iter::once("kantor").chain(argv.iter().copied())).map(|f| f.sampler).map_err(|e| e.to_string())
    }

    #[test]
    fn every_setting_but_the_steps_is_a_flag_with_its_range() {
        use clap::CommandFactory;
        let cmd = Flags::command();
        for s in SETTINGS.iter() {
            let arg = cmd.get_arguments().find(|a| a.get_long() == Some(flag(s).as_str()));
            assert_eq!(arg.is_some(), s.name != "steps", "--{}", flag(s));
        }
        assert_eq!(flags(&["--epsilon", "0.5"]).unwrap(), SamplerArgs::from_text("epsilon=0.5").unwrap());
        for bad in ["0", "NaN", "inf", "-inf", "1e30", "-0.1", "x"] {
            let e = flags(&["--epsilon", bad]).unwrap_err();
            assert!(e.contains("--epsilon"), "{bad}: {e}");
        }
        assert!(flags(&["--levels", "10001"]).unwrap_err().contains("expected 1 to 10000"));
        assert!(flags(&["--init", "normal"]).is_err());
        assert_eq!(flags(&["--no-denoise"]).unwrap(), SamplerArgs::from_text("denoise=off").unwrap());
        assert_eq!(flags(&["--denoise", "on", "--judge", "rules"]).unwrap(), SamplerArgs::from_text("denoise=on judge=rules").unwrap());
    }

    #[test]
    fn overrides_replace_defaults() {
        let d = SamplerSettings::ncsn(NoiseSchedule::new(10.0, 0.1, 20));
        let a = SamplerArgs::from_text("levels=5 temperature=0.5 repeat_guidance=1.5 denoise=off").unwrap();
        let s = a.apply(d, Some(7)).unwrap();
        assert_eq!(s.steps_per_level, 7);
        assert_eq!(a.apply(d, None).unwrap().steps_per_level, d.steps_per_level);
        assert_eq!(s.schedule.levels, 5);
        assert_eq!(s.schedule.sigma_max, 10.0);
        assert_eq!(s.temperature, 0.5);
        assert_eq!(s.repeat_guidance, 1.5);
        assert!(!s.final_denoise);
        assert!(SamplerArgs::from_text("sigma_min=20").unwrap().apply(d, None).unwrap_err().to_string().contains("σ_min ≤ σ_max"));
        assert!(SamplerArgs::from_text("epsilon=-1").is_err());
        let e = SamplerArgs::from_text("levels=1000").unwrap().apply(d, Some(101)).unwrap_err();
        assert!(e.to_string().contains("at most 100000 are allowed"), "{e}");
    }
}
