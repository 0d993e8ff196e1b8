//! Training the score network: `kantor train`.

/// Arguments of `kantor train`.
#[derive(clap::Args, Debug)]
pub struct TrainArgs {}

pub fn run(_args: TrainArgs) -> anyhow::Result<()> {
    anyhow::bail!("kantor train is not built yet")
}
