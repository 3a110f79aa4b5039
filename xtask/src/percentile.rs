//! Percentiles of measured durations, one definition for every bench.
//!
//! The nearest-rank method: the p-th percentile of n sorted values is the value at rank
//! ⌈p·n⌉ (counting from 1), so it is always a value that was measured, never an interpolation,
//! and p = 1 is the maximum. See "Percentile", nearest-rank method
//! (<https://en.wikipedia.org/wiki/Percentile#The_nearest-rank_method>).

use std::time::Duration;

/// The nearest-rank `p`-th percentile (0 < p ≤ 1) of `sorted`; zero when nothing was measured.
pub fn nearest_rank(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// [`nearest_rank`] in milliseconds, for tables.
pub fn nearest_rank_ms(sorted: &[Duration], p: f64) -> f64 {
    nearest_rank(sorted, p).as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_rank_is_a_measured_value() {
        let ms: Vec<Duration> = (1..=10).map(Duration::from_millis).collect();
        assert_eq!(nearest_rank(&ms, 0.5), Duration::from_millis(5));
        assert_eq!(nearest_rank(&ms, 0.9), Duration::from_millis(9));
        assert_eq!(nearest_rank(&ms, 0.99), Duration::from_millis(10));
        assert_eq!(nearest_rank(&ms, 1.0), Duration::from_millis(10));
        assert_eq!(nearest_rank(&ms[..1], 0.5), Duration::from_millis(1));
        assert_eq!(nearest_rank(&[], 0.5), Duration::ZERO);
        assert_eq!(nearest_rank_ms(&ms, 0.5), 5.0);
    }
}
