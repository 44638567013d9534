//! The sign-in rate limit, in memory: per client address and email, a few failures per window;
//! per client address, a bounded number of attempts per window. Memory stays bounded: old
//! windows are pruned and, under a flood of new keys, the oldest entries make room.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::Error;

/// How long a counter lives.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failed sign-ins for one email from one address per window.
pub const FAILURES_PER_ACCOUNT: u32 = 5;
/// Sign-in attempts (failed or not) from one address per window.
pub const ATTEMPTS_PER_ADDRESS: u32 = 30;
/// Entries kept per table at most.
const MAX_ENTRIES: usize = 50_000;
/// Longest email kept as a key (longer input is cut; such an account cannot exist anyway).
const MAX_EMAIL_BYTES: usize = 320;

#[derive(Default)]
pub struct Limiter {
    tables: Mutex<Tables>,
}

#[derive(Default)]
struct Tables {
    by_address: HashMap<IpAddr, Window>,
    by_account: HashMap<(IpAddr, String), Window>,
    /// When windows that ended were last dropped.
    pruned: Option<Instant>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    count: u32,
}

impl Window {
    fn live(&self, now: Instant) -> bool {
        now.duration_since(self.start) < WINDOW
    }

    /// How long until this window allows another attempt, if it is full.
    fn wait(&self, limit: u32, now: Instant) -> Option<Duration> {
        (self.live(now) && self.count >= limit)
            .then(|| WINDOW.saturating_sub(now.duration_since(self.start)))
    }
}

impl Limiter {
    /// Counts one sign-in attempt for `email` from `ip`, or refuses it (counting nothing)
    /// when either limit is reached. The attempt counts as a failure until
    /// [`Limiter::succeeded`] clears it, so parallel guesses cannot slip past the limit.
    pub fn attempt(&self, ip: IpAddr, email: &str) -> Result<(), Error> {
        self.attempt_at(ip, email, Instant::now())
    }

    fn attempt_at(&self, ip: IpAddr, email: &str, now: Instant) -> Result<(), Error> {
        let address = address_key(ip);
        let account = (address, email_key(email));
        let mut tables = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        if tables
            .pruned
            .is_none_or(|at| now.duration_since(at) >= WINDOW)
        {
            tables.by_address.retain(|_, w| w.live(now));
            tables.by_account.retain(|_, w| w.live(now));
            tables.pruned = Some(now);
        }
        let wait = [
            tables
                .by_address
                .get(&address)
                .and_then(|w| w.wait(ATTEMPTS_PER_ADDRESS, now)),
            tables
                .by_account
                .get(&account)
                .and_then(|w| w.wait(FAILURES_PER_ACCOUNT, now)),
        ]
        .into_iter()
        .flatten()
        .max();
        if let Some(wait) = wait {
            let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Err(Error::RateLimited {
                retry_after: retry_after.max(1),
            });
        }
        bump(&mut tables.by_address, address, now);
        bump(&mut tables.by_account, account, now);
        Ok(())
    }

    /// A correct password: that email's failures from that address are forgotten.
    pub fn succeeded(&self, ip: IpAddr, email: &str) {
        let mut tables = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        tables
            .by_account
            .remove(&(address_key(ip), email_key(email)));
    }

    #[cfg(test)]
    fn len(&self) -> (usize, usize) {
        let tables = self.tables.lock().unwrap();
        (tables.by_address.len(), tables.by_account.len())
    }
}

fn bump<K: Hash + Eq>(table: &mut HashMap<K, Window>, key: K, now: Instant) {
    if !table.contains_key(&key) && table.len() >= MAX_ENTRIES {
        table.retain(|_, w| w.live(now));
        if table.len() >= MAX_ENTRIES {
            // Still full of live windows (a flood of new keys): drop the oldest tenth at once,
            // so this scan happens once per many inserts.
            let mut starts: Vec<Instant> = table.values().map(|w| w.start).collect();
            let (_, cutoff, _) = starts.select_nth_unstable(MAX_ENTRIES / 10);
            let cutoff = *cutoff;
            table.retain(|_, w| w.start > cutoff);
        }
    }
    let window = table.entry(key).or_insert(Window {
        start: now,
        count: 0,
    });
    if !window.live(now) {
        *window = Window {
            start: now,
            count: 0,
        };
    }
    window.count = window.count.saturating_add(1);
}

/// IPv6 clients usually hold a whole /64, so they are counted per /64; IPv4-mapped addresses
/// count as their IPv4 address.
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
    }
}

fn email_key(email: &str) -> String {
    let email = email.trim();
    let mut end = email.len().min(MAX_EMAIL_BYTES);
    while !email.is_char_boundary(end) {
        end -= 1;
    }
    email[..end].to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn failures_per_account_then_a_wait() {
        let limiter = Limiter::default();
        let now = Instant::now();
        for _ in 0..FAILURES_PER_ACCOUNT {
            limiter.attempt_at(ip("10.0.0.1"), "a@x.io", now).unwrap();
        }
        let Err(Error::RateLimited { retry_after }) =
            limiter.attempt_at(ip("10.0.0.1"), "A@x.io ", now)
        else {
            panic!("sixth failure must be limited");
        };
        assert_eq!(retry_after, WINDOW.as_secs());
        // Another email and another address are not affected.
        limiter.attempt_at(ip("10.0.0.1"), "b@x.io", now).unwrap();
        limiter.attempt_at(ip("10.0.0.2"), "a@x.io", now).unwrap();
        // After the window, attempts are allowed again.
        limiter
            .attempt_at(ip("10.0.0.1"), "a@x.io", now + WINDOW)
            .unwrap();
    }

    #[test]
    fn success_clears_the_account_counter_but_not_the_address() {
        let limiter = Limiter::default();
        let now = Instant::now();
        for _ in 0..FAILURES_PER_ACCOUNT - 1 {
            limiter.attempt_at(ip("10.0.0.1"), "a@x.io", now).unwrap();
        }
        limiter.succeeded(ip("10.0.0.1"), "a@x.io");
        for _ in 0..FAILURES_PER_ACCOUNT {
            limiter.attempt_at(ip("10.0.0.1"), "a@x.io", now).unwrap();
        }
        let mut allowed = 2 * FAILURES_PER_ACCOUNT - 1;
        let mut n = 0;
        while limiter
            .attempt_at(ip("10.0.0.1"), &format!("{n}@x.io"), now)
            .is_ok()
        {
            allowed += 1;
            n += 1;
        }
        assert_eq!(allowed, ATTEMPTS_PER_ADDRESS);
    }

    #[test]
    fn ipv6_counts_per_64() {
        let limiter = Limiter::default();
        let now = Instant::now();
        for n in 0..ATTEMPTS_PER_ADDRESS {
            let address = ip(&format!("2001:db8:1:2::{n:x}"));
            limiter
                .attempt_at(address, &format!("{n}@x.io"), now)
                .unwrap();
        }
        assert!(
            limiter
                .attempt_at(ip("2001:db8:1:2:ffff::1"), "z@x.io", now)
                .is_err()
        );
        assert!(
            limiter
                .attempt_at(ip("2001:db8:1:3::1"), "z@x.io", now)
                .is_ok()
        );
    }

    #[test]
    fn memory_stays_bounded() {
        let limiter = Limiter::default();
        let start = Instant::now();
        for n in 0..(MAX_ENTRIES as u32 + 1000) {
            let address = IpAddr::from(n.to_be_bytes());
            let now = start + Duration::from_millis(u64::from(n));
            limiter.attempt_at(address, "a@x.io", now).unwrap();
        }
        let (addresses, accounts) = limiter.len();
        assert!(addresses <= MAX_ENTRIES && accounts <= MAX_ENTRIES);
        // Once every window has ended, the next attempt drops them all.
        let later = start + Duration::from_secs(3600);
        limiter.attempt_at(ip("10.0.0.1"), "a@x.io", later).unwrap();
        assert_eq!(limiter.len(), (1, 1));
    }
}
