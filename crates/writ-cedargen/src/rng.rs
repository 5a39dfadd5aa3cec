//! The seeded random source.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A seeded random source with the few helpers the generator needs.
pub struct G(ChaCha8Rng);

impl G {
    /// A source for `seed`.
    pub fn new(seed: u64) -> Self {
        G(ChaCha8Rng::seed_from_u64(seed))
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.0.random_bool(p.clamp(0.0, 1.0))
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            self.0.random_range(0..n)
        }
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        self.0.random_range(lo..=hi)
    }

    /// One item (the slice must not be empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A random subset, each item kept with probability `p`.
    pub fn subset<T: Clone>(&mut self, items: &[T], p: f64) -> Vec<T> {
        items.iter().filter(|_| self.chance(p)).cloned().collect()
    }
}
