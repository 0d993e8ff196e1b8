//! Reading the score text out of a file: plain MusicXML, or compressed `.mxl` (a zip
//! whose `META-INF/container.xml` names the root score file).

use anyhow::{bail, Context, Result};
use std::io::Read;
use std::path::Path;

/// Largest uncompressed score we accept (guards against zip bombs).
const MAX_SCORE_BYTES: u64 = 64 << 20;

/// True for the extensions Kantor reads as scores: `.mxl`, `.xml`, `.musicxml`.
pub fn is_score_file(path: &Path) -> bool {
    matches!(extension(path).as_deref(), Some("mxl" | "xml" | "musicxml"))
}

fn extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
}

/// The MusicXML text of a score file; `.mxl` files are unzipped.
pub fn read_score_text(path: &Path) -> Result<String> {
    let bytes = crate::infile::read(path, crate::infile::SCORE)?;
    score_text(path, bytes)
}

/// The MusicXML text of a score file's `bytes`; `path` decides whether they are unzipped
/// (`.mxl`, or a zip signature) and names the file in errors.
pub fn score_text(path: &Path, bytes: Vec<u8>) -> Result<String> {
    if extension(path).as_deref() == Some("mxl") || bytes.starts_with(b"PK\x03\x04") {
        unzip_root_score(&bytes)
            .with_context(|| format!("{} is not a readable .mxl archive", path.display()))
    } else {
        decode_text(bytes).with_context(|| format!("{} is not UTF-8 text", path.display()))
    }
}

/// The root score of a compressed MusicXML archive.
pub fn unzip_root_score(bytes: &[u8]) -> Result<String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).context("not a zip archive")?;
    let root = match read_entry(&mut zip, "META-INF/container.xml") {
        Ok(container) => root_file_path(&container)?,
        Err(_) => first_score_entry(&mut zip)?,
    };
    read_entry(&mut zip, &root)
}

fn read_entry(zip: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>, name: &str) -> Result<String> {
    let entry = zip
        .by_name(name)
        .with_context(|| format!("archive has no entry {name}"))?;
    let mut bytes = Vec::new();
    entry
        .take(MAX_SCORE_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot unzip {name}"))?;
    if bytes.len() as u64 > MAX_SCORE_BYTES {
        bail!("entry {name} is larger than {} MiB", MAX_SCORE_BYTES >> 20);
    }
    decode_text(bytes).with_context(|| format!("entry {name} is not UTF-8 text"))
}

/// The `full-path` of the first `<rootfile>` in `META-INF/container.xml`.
fn root_file_path(container: &str) -> Result<String> {
    let doc = roxmltree::Document::parse(container).context("META-INF/container.xml is not XML")?;
    doc.descendants()
        .find(|n| n.has_tag_name("rootfile"))
        .and_then(|n| n.attribute("full-path"))
        .map(str::to_owned)
        .context("META-INF/container.xml names no rootfile")
}

/// Fallback when there is no container: the first `.xml`/`.musicxml` entry outside META-INF.
fn first_score_entry(zip: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>) -> Result<String> {
    zip.file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .filter(|n| !n.starts_with("META-INF/"))
        .filter(|n| n.ends_with(".xml") || n.ends_with(".musicxml"))
        .min()
        .context("archive has neither META-INF/container.xml nor a .xml score")
}

/// UTF-8 text (with or without BOM); UTF-16 with a BOM is converted too.
fn decode_text(bytes: Vec<u8>) -> Result<String> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        let le = bytes[0] == 0xFF;
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        return String::from_utf16(&units).context("invalid UTF-16");
    }
    let mut s = String::from_utf8(bytes).context("invalid UTF-8")?;
    if s.starts_with('\u{feff}') {
        s.remove(0);
    }
    Ok(s)
}
