//! Adam with warm-up and cosine decay, gradient clipping, and the weights' moving average.

use super::config::TrainConfig;

/// Learning rate at `step` (0-based): linear warm-up, then cosine decay to
/// `lr · lr_final_fraction` at `config.steps` (held there afterwards).
pub fn learning_rate(config: &TrainConfig, step: u64) -> f64 {
    if step < config.warmup_steps {
        return config.lr * (step + 1) as f64 / config.warmup_steps as f64;
    }
    let span = config.steps.saturating_sub(config.warmup_steps).max(1);
    let progress = ((step - config.warmup_steps) as f64 / span as f64).min(1.0);
    let floor = config.lr * config.lr_final_fraction;
    floor + (config.lr - floor) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
}

/// Scales `grad` so that its L2 norm is at most `max_norm` (0 = no limit); returns the
/// norm before clipping.
pub fn clip_gradient(grad: &mut [f32], max_norm: f64) -> f64 {
    let norm = grad.iter().map(|&g| (g as f64).powi(2)).sum::<f64>().sqrt();
    if max_norm > 0.0 && norm > max_norm {
        let scale = (max_norm / norm) as f32;
        grad.iter_mut().for_each(|g| *g *= scale);
    }
    norm
}

/// Adam's moment estimates.
#[derive(Clone, Debug, PartialEq)]
pub struct Adam {
    pub m: Vec<f32>,
    pub v: Vec<f32>,
    /// Updates applied so far (for bias correction).
    pub t: u64,
}

impl Adam {
    pub fn new(parameters: usize) -> Adam {
        Adam { m: vec![0.0; parameters], v: vec![0.0; parameters], t: 0 }
    }

    /// One update of `params` along `grad` with learning rate `lr`.
    pub fn update(&mut self, config: &TrainConfig, params: &mut [f32], grad: &[f32], lr: f64) {
        self.t += 1;
        let (b1, b2) = (config.adam_beta1 as f32, config.adam_beta2 as f32);
        let c1 = 1.0 - config.adam_beta1.powi(self.t as i32);
        let c2 = 1.0 - config.adam_beta2.powi(self.t as i32);
        let step = (lr * c2.sqrt() / c1) as f32;
        let eps = (config.adam_eps * c2.sqrt()) as f32;
        for i in 0..params.len() {
            let g = grad[i];
            self.m[i] = b1 * self.m[i] + (1.0 - b1) * g;
            self.v[i] = b2 * self.v[i] + (1.0 - b2) * g * g;
            params[i] -= step * self.m[i] / (self.v[i].sqrt() + eps);
        }
    }
}

/// Moves the average `ema` towards `params`: `ema = d·ema + (1−d)·params`. Early steps
/// use `d = min(decay, (1+t)/(10+t))` so the average is not dominated by the random start.
pub fn update_ema(ema: &mut [f32], params: &[f32], decay: f64, t: u64) {
    let d = decay.min((1 + t) as f64 / (10 + t) as f64) as f32;
    for (e, p) in ema.iter_mut().zip(params) {
        *e = d * *e + (1.0 - d) * p;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_warms_up_and_decays() {
        let c = TrainConfig { lr: 1e-3, warmup_steps: 10, steps: 110, lr_final_fraction: 0.1, ..TrainConfig::default() };
        assert!((learning_rate(&c, 0) - 1e-4).abs() < 1e-12);
        assert!((learning_rate(&c, 9) - 1e-3).abs() < 1e-12);
        assert!((learning_rate(&c, 60) - 0.55e-3).abs() < 1e-9);
        assert!((learning_rate(&c, 110) - 1e-4).abs() < 1e-12);
        assert!((learning_rate(&c, 500) - 1e-4).abs() < 1e-12);
    }

    #[test]
    fn adam_descends_a_quadratic() {
        let c = TrainConfig::default();
        let mut p = vec![3.0f32, -2.0];
        let mut adam = Adam::new(2);
        for _ in 0..2000 {
            let g: Vec<f32> = p.iter().map(|x| 2.0 * x).collect();
            adam.update(&c, &mut p, &g, 1e-2);
        }
        assert!(p.iter().all(|x| x.abs() < 1e-2), "{p:?}");
    }
}
