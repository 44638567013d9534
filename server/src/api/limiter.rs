//! Rate limits, in memory. Sign-in: per client address and email, a few failures per window;
//! per client address, a bounded number of attempts per window; per email across every
//! address, a growing delay between failures past a free allowance (a backoff of at most
//! [`MAX_ACCOUNT_DELAY`], never a lockout an attacker could impose on the account's owner).
//! Sign-up: a few accounts per client address per window. Memory stays bounded: old windows
//! are pruned and, under a flood of new keys, the oldest entries make room.

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
/// Failures at one email (from any address) per window before each further attempt waits.
pub const FREE_ACCOUNT_FAILURES: u32 = 10;
/// The longest wait between attempts at one email: the delay doubles up to it.
pub const MAX_ACCOUNT_DELAY: Duration = Duration::from_secs(60);
/// Accounts created from one address per window (an office behind one NAT signing up
/// together stays well under it).
pub const SIGNUPS_PER_ADDRESS: u32 = 20;
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
    /// Failures at one email from anywhere, and when the last one was.
    by_email: HashMap<String, Backoff>,
    signups: HashMap<IpAddr, Window>,
    /// When windows that ended were last dropped.
    pruned: Option<Instant>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    count: u32,
}

/// Failures at one email across addresses.
#[derive(Debug, Clone, Copy)]
struct Backoff {
    window: Window,
    last: Instant,
}

impl Backoff {
    /// How long until the next attempt may be made, if it must wait.
    fn wait(&self, now: Instant) -> Option<Duration> {
        if !self.window.live(now) || self.window.count < FREE_ACCOUNT_FAILURES {
            return None;
        }
        let doublings = (self.window.count - FREE_ACCOUNT_FAILURES).min(16);
        let delay = Duration::from_secs(1 << doublings).min(MAX_ACCOUNT_DELAY);
        delay
            .checked_sub(now.duration_since(self.last))
            .filter(|d| !d.is_zero())
    }
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
        tables.prune(now);
        let email_key = account.1.clone();
        let wait = [
            tables
                .by_address
                .get(&address)
                .and_then(|w| w.wait(ATTEMPTS_PER_ADDRESS, now)),
            tables
                .by_account
                .get(&account)
                .and_then(|w| w.wait(FAILURES_PER_ACCOUNT, now)),
            tables.by_email.get(&email_key).and_then(|b| b.wait(now)),
        ]
        .into_iter()
        .flatten()
        .max();
        if let Some(wait) = wait {
            return Err(limited(wait));
        }
        bump(&mut tables.by_address, address, now);
        bump(&mut tables.by_account, account, now);
        if !tables.by_email.contains_key(&email_key) && tables.by_email.len() >= MAX_ENTRIES {
            tables.by_email.retain(|_, b| b.window.live(now));
        }
        if tables.by_email.contains_key(&email_key) || tables.by_email.len() < MAX_ENTRIES {
            let fresh = Window {
                start: now,
                count: 0,
            };
            let backoff = tables.by_email.entry(email_key).or_insert(Backoff {
                window: fresh,
                last: now,
            });
            if !backoff.window.live(now) {
                backoff.window = fresh;
            }
            backoff.window.count = backoff.window.count.saturating_add(1);
            backoff.last = now;
        }
        Ok(())
    }

    /// Counts one sign-up from `ip`, or refuses it when that address made
    /// [`SIGNUPS_PER_ADDRESS`] in the window.
    pub fn sign_up(&self, ip: IpAddr) -> Result<(), Error> {
        self.sign_up_at(ip, Instant::now())
    }

    fn sign_up_at(&self, ip: IpAddr, now: Instant) -> Result<(), Error> {
        let address = address_key(ip);
        let mut tables = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        tables.prune(now);
        if let Some(wait) = tables
            .signups
            .get(&address)
            .and_then(|w| w.wait(SIGNUPS_PER_ADDRESS, now))
        {
            return Err(limited(wait));
        }
        bump(&mut tables.signups, address, now);
        Ok(())
    }

    /// A correct password: that email's failures are forgotten (its backoff too).
    pub fn succeeded(&self, ip: IpAddr, email: &str) {
        let mut tables = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        tables
            .by_account
            .remove(&(address_key(ip), email_key(email)));
        tables.by_email.remove(&email_key(email));
    }

    #[cfg(test)]
    fn len(&self) -> (usize, usize) {
        let tables = self.tables.lock().unwrap();
        (tables.by_address.len(), tables.by_account.len())
    }
}

impl Tables {
    /// Drops windows that ended, once per window.
    fn prune(&mut self, now: Instant) {
        if self
            .pruned
            .is_none_or(|at| now.duration_since(at) >= WINDOW)
        {
            self.by_address.retain(|_, w| w.live(now));
            self.by_account.retain(|_, w| w.live(now));
            self.by_email.retain(|_, b| b.window.live(now));
            self.signups.retain(|_, w| w.live(now));
            self.pruned = Some(now);
        }
    }
}

fn limited(wait: Duration) -> Error {
    let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Error::RateLimited {
        retry_after: retry_after.max(1),
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
    fn many_addresses_at_one_account_are_slowed_not_locked_out() {
        let limiter = Limiter::default();
        let start = Instant::now();
        // Ten addresses, one guess each: the free allowance.
        for n in 0..FREE_ACCOUNT_FAILURES {
            limiter
                .attempt_at(ip(&format!("10.0.1.{n}")), "a@x.io", start)
                .unwrap();
        }
        // The next guess from anywhere waits a second, then two, doubling.
        let mut now = start;
        let mut waits = Vec::new();
        for n in 0..10 {
            let address = ip(&format!("10.0.2.{n}"));
            let Err(Error::RateLimited { retry_after }) =
                limiter.attempt_at(address, "a@x.io", now)
            else {
                panic!("guess {n} was not slowed");
            };
            waits.push(retry_after);
            now += Duration::from_secs(retry_after);
            limiter.attempt_at(address, "a@x.io", now).unwrap();
        }
        assert_eq!(&waits[..4], &[1, 2, 4, 8]);
        assert_eq!(
            waits.iter().max(),
            Some(&MAX_ACCOUNT_DELAY.as_secs()),
            "the delay never grows past its cap"
        );
        // The owner, with the right password, waits at most that long; then it is all forgotten.
        now += MAX_ACCOUNT_DELAY;
        limiter.attempt_at(ip("192.0.2.1"), "a@x.io", now).unwrap();
        limiter.succeeded(ip("192.0.2.1"), "a@x.io");
        limiter.attempt_at(ip("10.0.3.1"), "a@x.io", now).unwrap();
        // Other accounts were never slowed.
        limiter.attempt_at(ip("10.0.4.1"), "b@x.io", start).unwrap();
    }

    #[test]
    fn sign_ups_per_address() {
        let limiter = Limiter::default();
        let now = Instant::now();
        for _ in 0..SIGNUPS_PER_ADDRESS {
            limiter.sign_up_at(ip("10.0.0.1"), now).unwrap();
        }
        assert!(limiter.sign_up_at(ip("10.0.0.1"), now).is_err());
        limiter.sign_up_at(ip("10.0.0.2"), now).unwrap();
        limiter.sign_up_at(ip("10.0.0.1"), now + WINDOW).unwrap();
    }

    #[test]
    fn memory_stays_bounded() {
        let limiter = Limiter::default();
        let start = Instant::now();
        for n in 0..(MAX_ENTRIES as u32 + 1000) {
            let address = IpAddr::from(n.to_be_bytes());
            let now = start + Duration::from_millis(u64::from(n));
            limiter
                .attempt_at(address, &format!("{n}@x.io"), now)
                .unwrap();
        }
        let (addresses, accounts) = limiter.len();
        assert!(addresses <= MAX_ENTRIES && accounts <= MAX_ENTRIES);
        assert!(limiter.tables.lock().unwrap().by_email.len() <= MAX_ENTRIES);
        // Once every window has ended, the next attempt drops them all.
        let later = start + Duration::from_secs(3600);
        limiter.attempt_at(ip("10.0.0.1"), "a@x.io", later).unwrap();
        assert_eq!(limiter.len(), (1, 1));
    }
}
