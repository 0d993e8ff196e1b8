//! Composes one phrase with the shipped int8 model and prints its notes, voice by voice:
//! what a board does when its button is pressed, without the board.
//!
//! `cargo run --release -p kantor-core --example compose_phrase [SEED]`

use kantor_core::engine::{self, Aligned, Int8ScoreNet, Plan};
use kantor_core::player::{model_settings, Budget};
use kantor_core::sampler::{sample, PiecePlan, Workspace};
use kantor_core::{FrameMeta, Token, Voice};

/// The model `kantor quantize` wrote for the default network, 4-byte aligned as in flash.
static MODEL: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/default/model.kq8")));
/// Two bars of 4/4: one phrase ending on a fermata.
const BARS: usize = 2;
const FRAMES: usize = 16 * BARS;

const NAMES: [&str; 12] = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"];

fn main() {
    let seed = std::env::args().nth(1).map_or(1, |s| s.parse().expect("the seed is a whole number"));

    let mut metas = [FrameMeta::default(); FRAMES];
    let frames = PiecePlan::new(BARS).fill(&mut metas).expect("two bars of 4/4 are a valid plan");

    let model = engine::load(&MODEL.0).unwrap_or_else(|e| panic!("the model is refused: {e}"));
    let settings = model_settings(&model, Budget::default());
    let arena = vec![0u8; Plan::new(&model, frames).expect("the network runs at this length").arena_bytes];
    let mut net = Int8ScoreNet::new(&MODEL.0, arena, frames).unwrap_or_else(|e| panic!("{e}"));

    let mut buffer = vec![0.0; Workspace::floats_needed(frames)];
    let mut ws = Workspace::split(&mut buffer, frames).expect("the buffer holds the phrase");
    let mut tokens = [[Token::Rest; 4]; FRAMES];
    let report = sample(&mut net, &settings, seed, &metas[..frames], &[], &mut ws, &mut tokens).unwrap_or_else(|e| panic!("{e}"));

    println!("seed {seed}: {frames} sixteenths, {} network evaluations", report.evaluations);
    for voice in Voice::ALL {
        let v = voice as usize;
        let notes: Vec<String> = (0..frames)
            .filter_map(|t| match tokens[t][v] {
                Token::Pitch(p) => Some(format!("{}{}@{t}", NAMES[p as usize % 12], p as i32 / 12 - 1)),
                Token::Rest => Some(format!("rest@{t}")),
                Token::Hold => None,
            })
            .collect();
        println!("{:<8} {}", voice.name(), notes.join(" "));
    }
}
