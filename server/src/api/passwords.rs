//! Password hashing with argon2id (the argon2 crate's default parameters), always on the
//! blocking pool so a hash never stalls the async workers.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::Error;

/// The PHC string of `password` with a fresh random salt.
pub async fn hash(password: String) -> Result<String, Error> {
    blocking(move || hash_now(&password)).await
}

/// Whether `password` matches `stored`. With no stored hash (unknown account) a dummy hash is
/// verified instead, so the answer takes as long as for a real account, and is `false`.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, Error> {
    blocking(move || {
        let phc = match &stored {
            Some(stored) => stored.as_str(),
            None => dummy_hash()?,
        };
        let parsed = PasswordHash::new(phc).map_err(internal)?;
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(matches && stored.is_some())
    })
    .await
}

fn hash_now(password: &str) -> Result<String, Error> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| Error::Internal(format!("random source: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(internal)?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(internal)?
        .to_string())
}

/// Makes the dummy hash now (in the background), so the first sign-in with an unknown email
/// takes no longer than any other.
pub fn prepare() {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn_blocking(|| {
            if let Err(e) = dummy_hash() {
                tracing::error!(error = %e, "cannot prepare the dummy password hash");
            }
        });
    }
}

/// A hash of a random password, made once, with the same parameters as real ones.
fn dummy_hash() -> Result<&'static str, Error> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash);
    }
    let hash = hash_now(&crate::tokens::new_token())?;
    Ok(DUMMY.get_or_init(|| hash))
}

/// Hashes running at once at most: each takes ~19 MiB (argon2's default memory cost), so
/// a burst of sign-ups queues here instead of taking gigabytes.
fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        tokio::sync::Semaphore::new(cores * 2)
    })
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    let _permit = hashing_permits()
        .acquire()
        .await
        .map_err(|e| Error::Internal(format!("password permits: {e}")))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Internal(format!("password task: {e}")))?
}

fn internal(error: argon2::password_hash::Error) -> Error {
    Error::Internal(format!("argon2: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let a = hash("correct horse battery".into()).await.unwrap();
        let b = hash("correct horse battery".into()).await.unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "every hash has its own salt");
        assert!(
            verify("correct horse battery".into(), Some(a.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("wrong horse battery".into(), Some(a)).await.unwrap());
        assert!(!verify("anything at all".into(), None).await.unwrap());
    }
}
