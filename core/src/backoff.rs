//! When to try reconnecting to the relay after a connection is lost.

use std::time::Duration;

/// Exponential backoff with "full jitter": attempt N waits a random time in
/// `[base·2^N / 2, base·2^N]`, capped. The jitter spreads a whole team's reconnects after a
/// relay restart instead of having every device knock at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(500),
            max: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// Delay before reconnect attempt `attempt` (0 = first retry). `jitter` is a random number
    /// in `[0, 1)` supplied by the caller, so the policy itself stays deterministic and testable.
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max);
        let jitter = jitter.clamp(0.0, 1.0);
        ceiling.mul_f64(0.5 + 0.5 * jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_then_caps() {
        let b = Backoff::default();
        assert_eq!(b.delay(0, 1.0), Duration::from_millis(500));
        assert_eq!(b.delay(1, 1.0), Duration::from_secs(1));
        assert_eq!(b.delay(3, 1.0), Duration::from_secs(4));
        assert_eq!(b.delay(10, 1.0), Duration::from_secs(30));
        assert_eq!(b.delay(u32::MAX, 1.0), Duration::from_secs(30));
    }

    #[test]
    fn jitter_stays_within_half_to_full() {
        let b = Backoff::default();
        for attempt in 0..20 {
            let low = b.delay(attempt, 0.0);
            let high = b.delay(attempt, 0.999);
            assert!(low * 2 >= high, "attempt {attempt}: {low:?} vs {high:?}");
            assert!(high <= b.max);
        }
        assert_eq!(b.delay(2, -5.0), b.delay(2, 0.0));
    }
}
