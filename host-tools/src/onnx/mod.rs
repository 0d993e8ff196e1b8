//! ONNX export of the score network and running ONNX models through tract.

/// Arguments of `kantor export-onnx`.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {}

pub fn run(_args: ExportArgs) -> anyhow::Result<()> {
    anyhow::bail!("kantor export-onnx is not built yet")
}
