use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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

    /// Open connections at most; past it new ones are dropped at once. Default: what the
    /// process's open-file limit allows, less a reserve for the database and logs.
    #[arg(long, env = "KITH_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,

    /// Open connections from one client address at most (trusted proxies excepted).
    #[arg(long, env = "KITH_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 256)]
    pub max_connections_per_address: usize,

    /// Addresses of reverse proxies (TLS terminators) in front of the relay: their
    /// connections are not limited per address, and the client address they forward in
    /// X-Forwarded-For is used for rate limits. Repeat the flag or separate with commas.
    #[arg(
        long = "trusted-proxy",
        env = "KITH_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// Seconds a client has to send a request's head (an idle keep-alive connection closes
    /// after it too), and a new WebSocket to join a workspace.
    #[arg(long, env = "KITH_HANDSHAKE_TIMEOUT", default_value_t = 10.0)]
    pub handshake_timeout: f64,

    /// Seconds of silence after which a WebSocket is closed; the relay pings every third of
    /// it, and browsers answer pings on their own.
    #[arg(long, env = "KITH_IDLE_TIMEOUT", default_value_t = 60.0)]
    pub idle_timeout: f64,

    /// Start once with this right after restoring the database from a backup: the relay takes
    /// a new id, so every device starts its sync over and sends everything it holds (what was
    /// written after the backup comes back from the devices that have it).
    #[arg(long)]
    pub restored: bool,
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
            max_connections: None,
            max_connections_per_address: 256,
            trusted_proxies: Vec::new(),
            handshake_timeout: 10.0,
            idle_timeout: 60.0,
            restored: false,
        }
    }

    /// The connection limit in force: the flag, or what the open-file limit leaves.
    pub fn connection_limit(&self) -> usize {
        self.max_connections.unwrap_or_else(|| {
            let files = open_file_limit().unwrap_or(1024);
            // Database files, logs, the listener and a margin for what the process opens.
            usize::try_from(files.saturating_sub(128).clamp(64, 100_000)).unwrap_or(100_000)
        })
    }

    /// [`Config::handshake_timeout`] and [`Config::idle_timeout`] as durations.
    pub fn socket_timeouts(&self) -> (Duration, Duration) {
        let seconds = |s: f64| Duration::from_secs_f64(s.clamp(0.01, 86_400.0));
        (seconds(self.handshake_timeout), seconds(self.idle_timeout))
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("kith.db").display()))
    }
}

/// The process's soft limit on open files (Linux: /proc/self/limits).
fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}
