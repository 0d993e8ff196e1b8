//! Training windows: standalone excerpts, transpositions in range, fixed validation windows.

use crate::train_support;

use kantor_core::chorale::{in_range, sounding};
use kantor_core::onehot::{voice_offset, META_CHANNELS, VOICE_CHANNELS};
use kantor_core::token::HOLD_CLASS;
use kantor_core::{Token, Voice};
use kantor_host::train::data::{excerpt, fixed_windows, largest_distance, TrainWindows};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use train_support::made_up_chorale;

#[test]
fn excerpts_open_with_the_sounding_notes() {
    let frames = made_up_chorale(3, 4);
    // Frame 5 is inside a soprano quarter and the lower voices' half notes.
    let cut = excerpt(&frames, 5, 16);
    assert_eq!(cut.len(), 16);
    for v in Voice::ALL {
        assert_eq!(cut[0].tokens[v.index()], Token::Pitch(sounding(&frames, v, 5).unwrap()));
        for t in 1..16 {
            assert_eq!(cut[t].tokens, frames[5 + t].tokens);
        }
    }
}

#[test]
fn sampled_windows_stay_in_range_and_move_the_key() {
    let chorales: Vec<_> = (0..5).map(|i| made_up_chorale(i, 5)).collect();
    let windows = TrainWindows::new(chorales.iter().map(Vec::as_slice), 32).unwrap();
    assert_eq!(windows.positions(), 5 * (80 - 32 + 1));
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
    let mut keys = std::collections::HashSet::new();
    for _ in 0..200 {
        let w = windows.sample_frames(&mut rng);
        assert_eq!(w.len(), 32);
        assert!(in_range(&w));
        assert!(Voice::ALL.iter().all(|&v| w[0].tokens[v.index()] != Token::Hold));
        keys.insert(w[0].meta.key);
    }
    // The made-up chorales use five keys; transposition reaches many more.
    assert!(keys.len() > 6, "only {} keys", keys.len());
    let encoded = windows.sample(&mut rng);
    assert_eq!(encoded.voices.len(), VOICE_CHANNELS * 32);
    assert_eq!(encoded.meta.len(), META_CHANNELS * 32);
    // Every voice sounds one class (a pitch or rest) in every frame; the hold channels
    // are 0 or 1 on top.
    let holds: Vec<usize> = Voice::ALL.iter().map(|&v| voice_offset(v) + HOLD_CLASS).collect();
    let (mut sounding, mut ties) = (0.0f32, 0.0f32);
    for (c, row) in encoded.voices.chunks_exact(32).enumerate() {
        let sum: f32 = row.iter().sum();
        if holds.contains(&c) {
            assert!(row.iter().all(|&x| x == 0.0 || x == 1.0));
            ties += sum;
        } else {
            sounding += sum;
        }
    }
    assert_eq!(sounding, 4.0 * 32.0);
    assert!(ties > 0.0, "a window of held notes has ties");
}

#[test]
fn too_short_chorales_are_left_out_and_distances_are_bounded() {
    let chorales = [made_up_chorale(1, 1), made_up_chorale(2, 3), made_up_chorale(3, 3)];
    let windows = TrainWindows::new(chorales.iter().map(Vec::as_slice), 32).unwrap();
    assert_eq!(windows.too_short, 1);
    assert_eq!(windows.chorales(), 2);
    let d = largest_distance(&windows, 50, &mut Xoshiro256PlusPlus::seed_from_u64(9));
    assert!(d > 0.0 && d <= (2.0f64 * 4.0 * 32.0).sqrt());
    assert!(TrainWindows::new(chorales[..1].iter().map(Vec::as_slice), 32).is_err());
}

#[test]
fn validation_windows_are_fixed_and_spread() {
    let chorales: Vec<_> = (0..4).map(|i| made_up_chorale(i, 6)).collect();
    let a = fixed_windows(chorales.iter().map(Vec::as_slice), 32, 10);
    let b = fixed_windows(chorales.iter().map(Vec::as_slice), 32, 10);
    assert_eq!(a, b);
    assert_eq!(a.len(), 10);
    // Half-overlapping starts: 5 per chorale of 96 frames, 20 in all; every second is kept.
    assert_ne!(a[0], a[1]);
}
