//! int8 post-training quantisation: `kantor quantize`.

/// Arguments of `kantor quantize`.
#[derive(clap::Args, Debug)]
pub struct QuantizeArgs {}

pub fn run(_args: QuantizeArgs) -> anyhow::Result<()> {
    anyhow::bail!("kantor quantize is not built yet")
}
