//! Small random-choice helpers over a seeded RNG.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Cumulative weights for O(log n) weighted choice.
#[derive(Debug, Clone)]
pub struct Weighted {
    cumulative: Vec<u64>,
}

impl Weighted {
    /// Builds the table; the caller guarantees at least one non-zero weight.
    pub fn new(weights: impl IntoIterator<Item = u32>) -> Weighted {
        let mut total = 0u64;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                total += u64::from(w);
                total
            })
            .collect();
        Weighted { cumulative }
    }

    /// Draws an index with probability proportional to its weight.
    pub fn pick(&self, rng: &mut ChaCha8Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0);
        if total == 0 {
            return 0;
        }
        let x = rng.random_range(0..total);
        self.cumulative.partition_point(|&c| c <= x)
    }
}

/// Uniform choice from a slice; `None` only when it is empty (a validated model never is).
pub fn one_of<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> Option<&'a T> {
    if items.is_empty() {
        None
    } else {
        items.get(rng.random_range(0..items.len()))
    }
}

/// Skewed index into `0..len`: low indexes are hot, like real working sets.
pub fn skewed(rng: &mut ChaCha8Rng, len: u64) -> u64 {
    let u: f64 = rng.random();
    ((u * u * len as f64) as u64).min(len.saturating_sub(1))
}

/// True with probability `p`.
pub fn chance(rng: &mut ChaCha8Rng, p: f64) -> bool {
    p > 0.0 && rng.random::<f64>() < p
}
