//! MusicXML corpus import: `kantor prepare`.

/// Arguments of `kantor prepare`.
#[derive(clap::Args, Debug)]
pub struct PrepareArgs {}

pub fn run(_args: PrepareArgs) -> anyhow::Result<()> {
    anyhow::bail!("kantor prepare is not built yet")
}
