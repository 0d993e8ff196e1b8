//! Logging for the player: forwards to `defmt` with the `defmt` feature, otherwise a no-op
//! that still type-checks its arguments (so nothing is "unused" either way).

#[cfg(feature = "defmt")]
macro_rules! log {
    ($($t:tt)*) => { defmt::info!($($t)*) };
}

#[cfg(not(feature = "defmt"))]
macro_rules! log {
    ($fmt:literal $(, $arg:expr)* $(,)?) => {{ $( let _ = &$arg; )* }};
}

pub(crate) use log;
