//! A throwaway PostgreSQL cluster for tests: started once per test process from the server
//! binaries Debian installs (`apt-get install postgresql`), one fresh database per test.
//! A watchdog shell stops the cluster and deletes its files when the test process exits.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub struct Cluster {
    pub port: u16,
    pub dir: PathBuf,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

/// The directory holding `initdb`, `postgres` and `pg_ctl`, newest version first.
pub fn bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").is_file())
        .collect();
    dirs.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok())
            .unwrap_or(0)
    });
    dirs.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

/// Runs `script` with `sh`, as the `postgres` user when we are root (initdb refuses root).
fn shell(script: &str) -> Command {
    if is_root() {
        let mut c = Command::new("su");
        c.args(["postgres", "-s", "/bin/sh", "-c", script]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        c
    }
}

fn start() -> Result<Cluster, String> {
    let bin = bin_dir().ok_or(
        "PostgreSQL server binaries not found under /usr/lib/postgresql: \
         run `cargo xtask test` (it installs them) or `apt-get install -y postgresql`",
    )?;
    let dir = tempfile::Builder::new()
        .prefix("kith-pg-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    if is_root() {
        Command::new("chown")
            .args(["-R", "postgres"])
            .arg(&dir)
            .status()
            .map_err(|e| e.to_string())?;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let d = dir.display();
    let b = bin.display();
    let init = shell(&format!(
        "{b}/initdb -D {d}/data -A trust -U kith --no-sync >{d}/initdb.log 2>&1"
    ))
    .status()
    .map_err(|e| e.to_string())?;
    if !init.success() {
        let log = std::fs::read_to_string(dir.join("initdb.log")).unwrap_or_default();
        return Err(format!("initdb failed:\n{log}"));
    }
    // The watchdog outlives nothing: when this test process is gone it stops the server
    // (SIGINT = fast shutdown) and removes the cluster's files.
    let parent = std::process::id();
    let script = format!(
        "{b}/postgres -D {d}/data -k {d} -p {port} -c listen_addresses=127.0.0.1 \
           -c fsync=off -c max_connections=300 >{d}/server.log 2>&1 & pg=$!; \
         while [ -d /proc/{parent} ] && [ -d /proc/$pg ]; do sleep 0.5; done; \
         kill -INT $pg 2>/dev/null; wait $pg; rm -rf {d}"
    );
    shell(&script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
            return Err(format!("PostgreSQL did not start within 30 s:\n{log}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(Cluster { port, dir })
}

/// The shared cluster, started on first use.
pub fn cluster() -> &'static Cluster {
    match CLUSTER.get_or_init(start) {
        Ok(c) => c,
        Err(e) => panic!("cannot start PostgreSQL for the tests: {e}"),
    }
}

/// URL of a new, empty database on the shared cluster.
pub async fn fresh_database() -> String {
    use sqlx::Connection;
    let cluster = cluster();
    let admin = format!("postgres://kith@127.0.0.1:{}/postgres", cluster.port);
    let name = format!(
        "kith_test_{}_{}",
        std::process::id(),
        NEXT_DB.fetch_add(1, Ordering::Relaxed)
    );
    // The server may still be finishing start-up when the port opens: retry until a deadline.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut conn = loop {
        match sqlx::PgConnection::connect(&admin).await {
            Ok(c) => break c,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("cannot connect to the test PostgreSQL: {e}"),
        }
    };
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    format!("postgres://kith@127.0.0.1:{}/{name}", cluster.port)
}

#[allow(dead_code)]
pub fn data_dir(cluster: &Cluster) -> &Path {
    &cluster.dir
}
