//! Shared helpers of the `prepare_*` tests: fixture paths and building `.mxl` archives.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Path of a MusicXML fixture.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/musicxml")
        .join(name)
}

/// Writes `xml` as a compressed MusicXML archive with its container file.
pub fn write_mxl(path: &Path, xml: &str) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("mimetype", opts).unwrap();
    zip.write_all(b"application/vnd.recordare.musicxml")
        .unwrap();
    zip.start_file("META-INF/container.xml", opts).unwrap();
    zip.write_all(br#"<?xml version="1.0"?><container><rootfiles><rootfile full-path="score/song.musicxml"/></rootfiles></container>"#).unwrap();
    zip.start_file("score/song.musicxml", opts).unwrap();
    zip.write_all(xml.as_bytes()).unwrap();
    zip.finish().unwrap();
}
