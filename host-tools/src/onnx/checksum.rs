//! The checksum of an ONNX model Kantor writes: CRC-32 of the model encoded without it,
//! kept in its metadata as `kantor.checksum` (8 hex digits), and checked whenever a model
//! is read. A flipped weight byte then stops the model from loading instead of composing
//! quietly with a different network. A model from elsewhere (or from a Kantor before the
//! checksum) has none; it is read with a note.

use anyhow::bail;
use prost::Message;
use tract_onnx::pb::{ModelProto, StringStringEntryProto};

/// Metadata key of the checksum.
pub const CHECKSUM_PROP: &str = "kantor.checksum";

/// What a model's checksum says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checksum {
    /// It is there and matches the model.
    Matches,
    /// The model carries none.
    Absent,
}

/// CRC-32 of `model` encoded without its checksum entry.
fn crc_without_checksum(model: &ModelProto) -> u32 {
    let mut bare = model.clone();
    bare.metadata_props.retain(|p| p.key != CHECKSUM_PROP);
    crc32fast::hash(&bare.encode_to_vec())
}

/// Adds (or replaces) the model's checksum entry; call it last, after every other change.
pub fn stamp(model: &mut ModelProto) {
    let value = format!("{:08x}", crc_without_checksum(model));
    model.metadata_props.retain(|p| p.key != CHECKSUM_PROP);
    model.metadata_props.push(StringStringEntryProto { key: CHECKSUM_PROP.into(), value });
}

/// Checks the model's checksum: an error if it does not match.
pub fn verify(model: &ModelProto) -> anyhow::Result<Checksum> {
    let Some(stated) = model.metadata_props.iter().find(|p| p.key == CHECKSUM_PROP) else { return Ok(Checksum::Absent) };
    let actual = format!("{:08x}", crc_without_checksum(model));
    if stated.value.trim() != actual {
        bail!(
            "the model is damaged: its {CHECKSUM_PROP} is {} but its contents give {actual} (a changed byte?); export it again with `kantor export-onnx` or copy it again",
            stated.value.trim()
        );
    }
    Ok(Checksum::Matches)
}

/// The note printed for a model file without a checksum.
pub fn absent_note(name: &str) -> String {
    format!("note: {name} carries no {CHECKSUM_PROP} (made by another tool or an older Kantor), so damage to it cannot be detected")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> ModelProto {
        ModelProto {
            producer_name: "kantor".into(),
            metadata_props: vec![StringStringEntryProto { key: "kantor.levels".into(), value: "12".into() }],
            ..Default::default()
        }
    }

    #[test]
    fn a_stamped_model_checks_and_a_changed_one_does_not() {
        let mut m = model();
        assert_eq!(verify(&m).unwrap(), Checksum::Absent);
        stamp(&mut m);
        let bytes = m.encode_to_vec();
        assert_eq!(verify(&ModelProto::decode(&bytes[..]).unwrap()).unwrap(), Checksum::Matches);
        // Stamping twice leaves one entry.
        stamp(&mut m);
        assert_eq!(m.metadata_props.iter().filter(|p| p.key == CHECKSUM_PROP).count(), 1);
        let mut changed = ModelProto::decode(&bytes[..]).unwrap();
        changed.metadata_props[0].value = "13".into();
        let e = verify(&changed).unwrap_err().to_string();
        assert!(e.contains("the model is damaged"), "{e}");
    }
}
