use std::net::SocketAddr;
use std::path::PathBuf;

/// How the relay is started. Every flag can also be set by its environment variable.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "kith-relay",
    version,
    about = "The Kith relay: serves the app and syncs teams"
)]
pub struct Config {
    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, env = "KITH_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Directory for the relay's data; the default SQLite database lives here.
    #[arg(long, env = "KITH_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Database URL. Defaults to the SQLite file `kith.db` in the data directory.
    #[arg(long, env = "KITH_DATABASE_URL")]
    pub database_url: Option<String>,

    /// Directory holding the built app (`cargo xtask dist` writes it).
    #[arg(long, env = "KITH_DIST", default_value = "dist")]
    pub dist: PathBuf,

    /// Largest WebSocket frame accepted from a client, in bytes.
    #[arg(long, env = "KITH_MAX_FRAME_BYTES", default_value_t = kith_core::protocol::DEFAULT_MAX_FRAME_BYTES)]
    pub max_frame_bytes: usize,

    /// Most bytes of changes one workspace may store; pushes past it are refused ("full").
    #[arg(long, env = "KITH_WORKSPACE_QUOTA_BYTES", default_value_t = DEFAULT_WORKSPACE_QUOTA_BYTES)]
    pub workspace_quota_bytes: u64,

    /// Send Strict-Transport-Security: set it when the relay is reached over https (behind a
    /// TLS-terminating proxy), so browsers never fall back to plain http.
    #[arg(long, env = "KITH_HSTS")]
    pub hsts: bool,
}

/// 1 GB: about two million typical edits, far more than a small team's CRM holds.
pub const DEFAULT_WORKSPACE_QUOTA_BYTES: u64 = 1_000_000_000;

impl Config {
    /// Defaults for a relay on a free loopback port keeping its data in `data_dir`.
    pub fn local(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: data_dir.into(),
            database_url: None,
            dist: PathBuf::from("dist"),
            max_frame_bytes: kith_core::protocol::DEFAULT_MAX_FRAME_BYTES,
            workspace_quota_bytes: DEFAULT_WORKSPACE_QUOTA_BYTES,
            hsts: false,
        }
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("kith.db").display()))
    }
}
