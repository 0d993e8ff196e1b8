// What each host fuzz target does with its input: the whole path a file takes through
// the `kantor` command, short of the sampler. Shared (by `include!`) by the fuzz targets
// and by the regression test that replays every input that once failed
// (`tests/tests/e2e/fuzz_regressions.rs`). A panic is a finding; errors are the expected way
// to refuse an input.

use kantor_host::compose::melody_from_bytes;
use kantor_host::corpus::import_bytes;
use kantor_host::dataset::Dataset;
use kantor_host::eval::input::chorale_from_bytes;
use kantor_host::eval::measure;
use kantor_host::network::Network;
use kantor_host::quantize::model_from_bytes;
use kantor_host::train::checkpoint::TrainState;
use std::path::Path;

/// A score file through `kantor prepare`'s importer (`.musicxml`, or `.mxl` when the bytes
/// are a zip): parse, choose the four parts, quantise, check and transpose; an accepted
/// chorale must survive the dataset's writer and reader unchanged.
pub fn musicxml_prepare(data: &[u8]) {
    let name = if data.starts_with(b"PK") { "score.mxl" } else { "score.musicxml" };
    let (imported, _report) = import_bytes(Path::new(name), data.to_vec());
    if let Ok(dataset) = imported {
        let bytes = dataset.to_bytes().expect("an imported chorale can be written");
        let back = Dataset::from_bytes(&bytes).expect("a written dataset reads back");
        assert_eq!(back, dataset);
    }
}

/// A MusicXML melody through `kantor harmonize`'s reader and what it does before sampling.
pub fn musicxml_melody(data: &[u8]) {
    let name = if data.starts_with(b"PK") { "melody.mxl" } else { "melody.musicxml" };
    melody(Path::new(name), data);
}

/// A Standard MIDI File through `kantor harmonize`'s melody reader.
pub fn midi_melody(data: &[u8]) {
    melody(Path::new("melody.mid"), data);
}

fn melody(path: &Path, data: &[u8]) {
    let Ok(melody) = melody_from_bytes(path, data.to_vec()) else { return };
    let _ = melody.keep_or_simplify(path, false);
    let _ = melody.keep_or_simplify(path, true);
    let _ = melody.end_of_final_note();
    for transpose in [None, Some(0), Some(-12), Some(7)] {
        let mut m = melody.clone();
        if m.fit_soprano(transpose).is_ok() {
            m.ensure_fermatas(2);
            assert_eq!(m.meta.len(), m.tokens.len());
        }
    }
}

/// A Standard MIDI File through `kantor eval`'s reader and every metric it measures.
pub fn midi_eval(data: &[u8]) {
    if let Ok(piece) = chorale_from_bytes(Path::new("piece.mid"), data) {
        let _ = measure(&piece, None);
    }
}

/// An ONNX file through `kantor quantize`'s importer: protobuf, `kantor.*` metadata, graph.
pub fn onnx_quantize(data: &[u8]) {
    let _ = model_from_bytes(Path::new("model.onnx"), data.to_vec());
}

/// A `.kds` dataset through its reader; an accepted one must write back to the same data.
pub fn dataset(data: &[u8]) {
    if let Ok(dataset) = Dataset::from_bytes(data) {
        let bytes = dataset.to_bytes().expect("a dataset that was read can be written");
        assert_eq!(Dataset::from_bytes(&bytes).expect("a written dataset reads back"), dataset);
    }
}

/// A training checkpoint through the loader of `--resume`, `export-onnx` and `eval`, and an
/// accepted one into the network it describes.
pub fn checkpoint(data: &[u8]) {
    if let Ok((arch, state)) = TrainState::from_bytes(Path::new("checkpoint.safetensors"), data) {
        let _ = Network::new(arch, state.ema);
    }
}
