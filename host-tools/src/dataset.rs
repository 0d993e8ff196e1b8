//! The prepared dataset: Bach's chorales (or any user's corpus) as frames, split into
//! train, validation and test, in a compact versioned file.

use kantor_core::{Frame, TimeSignature};

/// Which side of the split a chorale belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Split {
    Train,
    Valid,
    Test,
}

/// One prepared chorale.
#[derive(Clone, Debug, PartialEq)]
pub struct DatasetChorale {
    /// Where it came from (file name inside the corpus folder, e.g. `bwv253.mxl`).
    pub source: String,
    pub split: Split,
    pub time: TimeSignature,
    /// Frames in original key; metadata (bar position, fermata, key) filled in.
    pub frames: Vec<Frame>,
}

/// A prepared corpus.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Dataset {
    pub chorales: Vec<DatasetChorale>,
}

impl Dataset {
    /// The chorales of one split.
    pub fn split(&self, split: Split) -> impl Iterator<Item = &DatasetChorale> {
        self.chorales.iter().filter(move |c| c.split == split)
    }
}

// ---------------------------------------------------------------------------------------
// The dataset file.
//
// Layout (little-endian), format version 2:
//   magic "KANTORDS" | u32 format version | u32 `onehot::ENCODING_VERSION`
//   | u32 source count, then each source file name as u16 length + UTF-8
//   | u32 chorale count, then per chorale: u32 source index, u8 split (0 train, 1 valid,
//     2 test), u8 time numerator, u8 time denominator, u32 frame count, and per frame
//     7 bytes: the four voices' token classes (S, A, T, B), position in bar, flags
//     (bit 0 fermata, bit 1 minor mode), key signature fifths (i8)
//   | u32 CRC-32 of every byte before it.

use anyhow::{bail, ensure, Context, Result};
use kantor_core::onehot::ENCODING_VERSION;
use kantor_core::voice::VOICES;
use kantor_core::{FrameMeta, KeySignature, Mode, Token, Voice};
use std::path::Path;

/// First bytes of every dataset file.
pub const DATASET_MAGIC: &[u8; 8] = b"KANTORDS";
/// Version of the dataset file layout.
pub const DATASET_FORMAT_VERSION: u32 = 2;
/// Bytes per frame in the file.
const FRAME_BYTES: usize = VOICES + 3;

impl Split {
    /// All splits, in file order.
    pub const ALL: [Split; 3] = [Split::Train, Split::Valid, Split::Test];

    /// Lower-case name (`train`, `valid`, `test`).
    pub const fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Valid => "valid",
            Split::Test => "test",
        }
    }

    const fn byte(self) -> u8 {
        match self {
            Split::Train => 0,
            Split::Valid => 1,
            Split::Test => 2,
        }
    }
}

impl Dataset {
    /// The file's bytes (see the layout above). Fails if a pitch lies outside its
    /// voice's range or a name or count does not fit the format.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut sources: Vec<&str> = Vec::new();
        let mut index = std::collections::HashMap::new();
        for c in &self.chorales {
            index.entry(c.source.as_str()).or_insert_with(|| {
                sources.push(c.source.as_str());
                sources.len() - 1
            });
        }
        let frames: usize = self.chorales.iter().map(|c| c.frames.len()).sum();
        let mut out = Vec::with_capacity(
            64 + sources.iter().map(|s| s.len() + 2).sum::<usize>() + frames * FRAME_BYTES,
        );
        out.extend_from_slice(DATASET_MAGIC);
        out.extend_from_slice(&DATASET_FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&ENCODING_VERSION.to_le_bytes());
        out.extend_from_slice(
            &u32::try_from(sources.len())
                .context("too many sources")?
                .to_le_bytes(),
        );
        for s in &sources {
            let len =
                u16::try_from(s.len()).with_context(|| format!("source name too long: {s}"))?;
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        out.extend_from_slice(
            &u32::try_from(self.chorales.len())
                .context("too many chorales")?
                .to_le_bytes(),
        );
        for c in &self.chorales {
            out.extend_from_slice(&(index[c.source.as_str()] as u32).to_le_bytes());
            out.extend_from_slice(&[c.split.byte(), c.time.numerator, c.time.denominator]);
            out.extend_from_slice(
                &u32::try_from(c.frames.len())
                    .context("chorale too long")?
                    .to_le_bytes(),
            );
            for (i, f) in c.frames.iter().enumerate() {
                for v in Voice::ALL {
                    let class = f.tokens[v.index()].class(v).with_context(|| {
                        format!(
                            "{}: frame {i}: {:?} is outside the {} range",
                            c.source,
                            f.tokens[v.index()],
                            v.name()
                        )
                    })?;
                    out.push(class as u8);
                }
                out.extend_from_slice(&[
                    f.meta.position_in_bar,
                    f.meta.fermata as u8 | ((f.meta.mode == Mode::Minor) as u8) << 1,
                    f.meta.key.fifths as u8,
                ]);
            }
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        Ok(out)
    }

    /// Reads a dataset from its bytes, refusing anything malformed.
    pub fn from_bytes(bytes: &[u8]) -> Result<Dataset> {
        ensure!(
            bytes.len() >= DATASET_MAGIC.len() && &bytes[..8] == DATASET_MAGIC,
            "not a Kantor dataset (bad magic)"
        );
        ensure!(bytes.len() >= 8 + 4 + 4 + 4 + 4 + 4, "dataset is truncated");
        let (body, crc) = bytes.split_at(bytes.len() - 4);
        let mut r = Reader { bytes: body, at: 8 };
        let version = r.u32()?;
        ensure!(version == DATASET_FORMAT_VERSION, "dataset format version {version} is not supported (this build reads {DATASET_FORMAT_VERSION})");
        let stored = u32::from_le_bytes(crc.try_into().expect("4 bytes"));
        ensure!(
            crc32fast::hash(body) == stored,
            "dataset checksum mismatch: the file is corrupted or truncated"
        );
        let encoding = r.u32()?;
        ensure!(encoding == ENCODING_VERSION, "dataset uses chorale encoding version {encoding}, this build uses {ENCODING_VERSION}: prepare it again");
        let n_sources = r.u32()? as usize;
        let mut sources = Vec::with_capacity(n_sources.min(body.len() / 2));
        for _ in 0..n_sources {
            let len = r.u16()? as usize;
            let name = std::str::from_utf8(r.take(len)?).context("source name is not UTF-8")?;
            sources.push(name.to_owned());
        }
        let n_chorales = r.u32()? as usize;
        let mut chorales = Vec::with_capacity(n_chorales.min(body.len() / 11));
        for ci in 0..n_chorales {
            let c = read_chorale(&mut r, &sources).with_context(|| format!("chorale {ci}"))?;
            chorales.push(c);
        }
        ensure!(
            r.at == body.len(),
            "dataset has {} unexpected bytes after the last chorale",
            body.len() - r.at
        );
        Ok(Dataset { chorales })
    }

    /// Writes the dataset to `path` (atomically if it is a file, see [`crate::outfile`]).
    pub fn save(&self, path: &Path) -> Result<()> {
        crate::outfile::write(path, &self.to_bytes()?)
    }

    /// Reads a dataset file written by [`Dataset::save`].
    pub fn load(path: &Path) -> Result<Dataset> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read dataset {}", path.display()))?;
        Dataset::from_bytes(&bytes)
            .with_context(|| format!("cannot load dataset {}", path.display()))
    }
}

fn read_chorale(r: &mut Reader, sources: &[String]) -> Result<DatasetChorale> {
    let src = r.u32()? as usize;
    let source = sources
        .get(src)
        .with_context(|| format!("source index {src} out of range"))?
        .clone();
    let [split, num, den] = r.array::<3>()?;
    let split = *Split::ALL
        .get(split as usize)
        .with_context(|| format!("bad split byte {split}"))?;
    let time = TimeSignature {
        numerator: num,
        denominator: den,
    };
    let bar = time
        .frames_per_bar()
        .with_context(|| format!("unsupported time signature {num}/{den}"))?;
    let n = r.u32()? as usize;
    let raw = r.take(
        n.checked_mul(FRAME_BYTES)
            .context("frame count overflows")?,
    )?;
    let mut frames = Vec::with_capacity(n);
    for (i, b) in raw.chunks_exact(FRAME_BYTES).enumerate() {
        let mut tokens = [Token::Hold; VOICES];
        for v in Voice::ALL {
            tokens[v.index()] = Token::from_class(v, b[v.index()] as usize).with_context(|| {
                format!("frame {i}: bad {} token class {}", v.name(), b[v.index()])
            })?;
        }
        let (pos, flags, fifths) = (b[VOICES], b[VOICES + 1], b[VOICES + 2] as i8);
        ensure!(
            pos < bar,
            "frame {i}: position {pos} outside a bar of {bar} frames"
        );
        ensure!(flags <= 3, "frame {i}: bad flags {flags}");
        ensure!(
            (-7..=7).contains(&fifths),
            "frame {i}: bad key signature {fifths}"
        );
        frames.push(Frame {
            tokens,
            meta: FrameMeta {
                position_in_bar: pos,
                fermata: flags & 1 == 1,
                key: KeySignature { fifths },
                mode: if flags & 2 == 2 { Mode::Minor } else { Mode::Major },
            },
        });
    }
    Ok(DatasetChorale {
        source,
        split,
        time,
        frames,
    })
}

/// Bounds-checked little-endian reading.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            bail!(
                "dataset is truncated (needs {n} bytes at offset {})",
                self.at
            )
        };
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        Ok(self.take(N)?.try_into().expect("N bytes"))
    }

    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }
}
