//! Measuring chorales against Bach: `kantor eval`.

/// Arguments of `kantor eval`.
#[derive(clap::Args, Debug)]
pub struct EvalArgs {}

pub fn run(_args: EvalArgs) -> anyhow::Result<()> {
    anyhow::bail!("kantor eval is not built yet")
}
