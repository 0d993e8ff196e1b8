//! Composing with the sampler: `kantor generate` and `kantor harmonize`.

/// Arguments of `kantor generate`.
#[derive(clap::Args, Debug)]
pub struct GenerateArgs {}

/// Arguments of `kantor harmonize`.
#[derive(clap::Args, Debug)]
pub struct HarmonizeArgs {}

pub fn generate(_args: GenerateArgs) -> anyhow::Result<()> {
    anyhow::bail!("kantor generate is not built yet")
}

pub fn harmonize(_args: HarmonizeArgs) -> anyhow::Result<()> {
    anyhow::bail!("kantor harmonize is not built yet")
}
