//! The f32 score network: architecture, forward and backward passes, parameters.
