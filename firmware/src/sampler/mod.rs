//! Annealed Langevin dynamics over a [`crate::ScoreNet`] (no heap).
