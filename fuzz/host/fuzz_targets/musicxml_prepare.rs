//! A score file through `kantor prepare`'s importer (`.musicxml`, or `.mxl` when the bytes
//! are a zip): parse, choose the four parts, quantise, check and transpose; an accepted
//! chorale must survive the dataset's writer and reader unchanged.
#![no_main]
// Each target uses one of the shared functions.
#![allow(dead_code)]

include!("../src/exercise.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| musicxml_prepare(data));
