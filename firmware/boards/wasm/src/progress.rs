//! A score network that tells JavaScript how far composing has got.

use kantor_core::ScoreNet;

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "env")]
extern "C" {
    /// Called after every network evaluation: `done` of at most `total`.
    fn kantor_progress(done: u32, total: u32);
}

#[cfg(not(target_arch = "wasm32"))]
unsafe fn kantor_progress(_: u32, _: u32) {}

/// `net`, reporting each evaluation.
pub struct Reporting<'a, N> {
    pub net: &'a mut N,
    pub done: u32,
    pub total: u32,
}

impl<N: ScoreNet> ScoreNet for Reporting<'_, N> {
    type Error = N::Error;
    fn score(&mut self, x: &[f32], meta: &[f32], frames: usize, sigma: f32, score: &mut [f32]) -> Result<(), N::Error> {
        let r = self.net.score(x, meta, frames, sigma, score);
        self.done += 1;
        // SAFETY: an imported JavaScript function taking two numbers.
        unsafe { kantor_progress(self.done, self.total) };
        r
    }
}
