//! Shared by the relay's integration tests: a relay on SQLite or PostgreSQL, the same tests
//! against both.

#![allow(dead_code)]

pub mod postgres;
pub mod seed;
pub mod ws;

use kith_server::{Config, Relay};

/// Which database a test relay runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A relay on a free loopback port with a fresh database of `backend`. Keep the returned
/// directory alive as long as the relay.
pub async fn relay(backend: Backend) -> (Relay, tempfile::TempDir, String) {
    relay_with(backend, |_| {}).await
}

/// [`relay`] with some of its flags changed.
pub async fn relay_with(
    backend: Backend,
    configure: impl FnOnce(&mut Config),
) -> (Relay, tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.path().join("kith.db").display()),
        Backend::Postgres => postgres::fresh_database().await,
    };
    let mut config = config_on(&dir, &url);
    configure(&mut config);
    let relay = kith_server::spawn(config).await.expect("relay starts");
    (relay, dir, url)
}

pub fn config_on(dir: &tempfile::TempDir, database_url: &str) -> Config {
    let mut config = Config::local(dir.path());
    config.database_url = Some(database_url.to_string());
    config.dist = dir.path().join("no-dist");
    config
}

/// Another relay (a second node, or the same one restarted) on an existing database.
pub async fn start_on(dir: &tempfile::TempDir, database_url: &str) -> Relay {
    kith_server::spawn(config_on(dir, database_url))
        .await
        .expect("relay starts")
}

/// Runs an async test body once per back end.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $body:path) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $body($crate::support::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $body($crate::support::Backend::Postgres).await
            }
        }
    };
}
