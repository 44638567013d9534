//! The Kith relay. `main.rs` only parses flags and waits for a signal; everything else is here
//! so tests start a real relay on a free port with [`spawn`].

mod api;
mod config;
mod db;
mod error;
mod headers;
mod http;
mod serve;
mod sync;
mod tokens;
mod ws;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use config::Config;
pub use db::{Db, Dialect, SCHEMA_VERSION, now_ms};
pub use error::Error;
pub use http::app;

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub relay_id: Arc<str>,
    pub max_frame_bytes: usize,
    pub workspace_quota_bytes: u64,
    /// Send Strict-Transport-Security.
    pub hsts: bool,
    /// WebSockets not joined yet, at most (the rest of the connection limit stays for
    /// signed-in clients, the API and `/healthz`).
    pub max_anonymous_sockets: usize,
    /// Reverse proxies whose forwarded client addresses are believed.
    pub trusted_proxies: Arc<[std::net::IpAddr]>,
    /// Time to join after connecting; silence after which a socket closes.
    pub handshake_timeout: std::time::Duration,
    pub idle_timeout: std::time::Duration,
    pub api: api::ApiState,
    pub hub: sync::Hub,
    /// Cancelled when the relay stops, so open WebSockets close instead of holding shutdown.
    pub shutdown: CancellationToken,
}

/// A running relay.
pub struct Relay {
    addr: SocketAddr,
    shutdown: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
    db: Db,
    hub: sync::Hub,
}

/// Opens the database, binds the listener and serves until [`Relay::shutdown`].
pub async fn spawn(config: Config) -> Result<Relay, Error> {
    let db = Db::open(&config.database_url()).await?;
    sync::log::backfill_actors(&db).await?;
    let mut relay_id = db.relay_id().await?;
    if config.restored {
        relay_id = db.renew_relay_id().await?;
        tracing::warn!(
            %relay_id,
            "restored from a backup: new relay id; every device will send what it holds again"
        );
    }
    let relay_id: Arc<str> = relay_id.into();
    if !config.dist.join("index.html").is_file() {
        tracing::warn!(dist = %config.dist.display(), "no built app here: run `cargo xtask dist`");
    }
    let shutdown = CancellationToken::new();
    let hub = sync::Hub::start(&db, shutdown.clone()).await?;
    let connections = serve::Connections::default();
    let connection_limit = config.connection_limit();
    let (handshake_timeout, idle_timeout) = config.socket_timeouts();
    let state = AppState {
        db: db.clone(),
        relay_id,
        max_frame_bytes: config.max_frame_bytes,
        workspace_quota_bytes: config.workspace_quota_bytes,
        hsts: config.hsts,
        trusted_proxies: config.trusted_proxies.clone().into(),
        max_anonymous_sockets: (connection_limit / 4).max(1),
        handshake_timeout,
        idle_timeout,
        api: api::ApiState::default(),
        hub: hub.clone(),
        shutdown: shutdown.clone(),
    };
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let limits = serve::Limits {
        total: connection_limit,
        per_address: config.max_connections_per_address,
        header_timeout: handshake_timeout,
    };
    tracing::info!(max_connections = limits.total, "connection limits");
    let state_proxies = state.trusted_proxies.clone();
    let router = app(state, &config.dist);
    let task = tokio::spawn(serve::serve(
        listener,
        router,
        limits,
        state_proxies,
        connections,
        shutdown.clone(),
    ));
    Ok(Relay {
        addr,
        shutdown,
        task,
        db,
        hub,
    })
}

impl Relay {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, handy for clients and tests.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, closes every WebSocket with "going away" (a push being stored is
    /// committed and acknowledged first), waits for in-flight requests, then closes the
    /// database.
    pub async fn shutdown(self) -> Result<(), Error> {
        self.shutdown.cancel();
        let served = self.task.await.map_err(std::io::Error::other)?;
        // Upgraded WebSockets run outside the HTTP server's tracking: wait for them too.
        self.hub.drained(std::time::Duration::from_secs(10)).await;
        self.db.close().await;
        Ok(served?)
    }
}
