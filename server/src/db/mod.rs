//! The relay's database: SQLite (default, one file) or PostgreSQL (several relays on one
//! database), opened, migrated and identified at start.
//!
//! Both back ends run the same queries through sqlx's `Any` driver: write SQL that both
//! understand (`$1` placeholders, `ON CONFLICT`, `RETURNING`, BIGINT milliseconds, TEXT ids).
//! Every write transaction must start with a write (usually `UPDATE workspaces … RETURNING`,
//! which is also the per-workspace lock): on SQLite a transaction that reads first and writes
//! later can fail with "database is locked" instead of waiting.

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Connection, Executor};

use crate::Error;

/// Which database engine is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// Ordered schema migrations (SQLite text, PostgreSQL text); a migration never changes once
/// released.
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "relay identity",
        include_str!("../../migrations/sqlite/0001_relay_identity.sql"),
        include_str!("../../migrations/postgres/0001_relay_identity.sql"),
    ),
    (
        2,
        "accounts and change log",
        include_str!("../../migrations/sqlite/0002_accounts_and_log.sql"),
        include_str!("../../migrations/postgres/0002_accounts_and_log.sql"),
    ),
    (
        3,
        "storage sizes and actors",
        include_str!("../../migrations/sqlite/0003_storage_and_actors.sql"),
        include_str!("../../migrations/postgres/0003_storage_and_actors.sql"),
    ),
];

/// Newest schema version this relay knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// Arbitrary key of the PostgreSQL advisory lock that serialises migrations across relays.
const MIGRATION_LOCK: i64 = 0x6b69_7468;

#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    dialect: Dialect,
    url: String,
    health: Arc<Health>,
}

/// What the relay knows of its database file's integrity.
#[derive(Debug, Default)]
struct Health {
    /// Why the database is considered damaged; once set, nothing is written or acked.
    damaged: Mutex<Option<String>>,
    /// An integrity check is running (at most one at a time).
    checking: AtomicBool,
}

impl Db {
    /// Opens (creating if needed) and migrates the database at `url`
    /// (`sqlite://PATH` or `postgres://…`).
    pub async fn open(url: &str) -> Result<Self, Error> {
        sqlx::any::install_default_drivers();
        let (dialect, url) = if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or_default();
            if let Some(parent) = std::path::Path::new(path)
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
            {
                std::fs::create_dir_all(parent)?;
            }
            (Dialect::Sqlite, format!("sqlite://{path}?mode=rwc"))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Dialect::Postgres, url.to_string())
        } else {
            // Only the scheme: the rest may hold a password.
            let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
            return Err(Error::UnsupportedDatabase(scheme.to_string()));
        };
        let options = AnyConnectOptions::from_str(&url)?;
        // One direct connection first: when the database cannot be reached, say why (refused,
        // unknown host, wrong password) rather than the pool's "timed out".
        match tokio::time::timeout(
            Duration::from_secs(10),
            AnyConnection::connect_with(&options),
        )
        .await
        {
            // A damaged SQLite file fails the pool's set-up in odd ways: check it first.
            Ok(Ok(mut conn)) => {
                if dialect == Dialect::Sqlite
                    && let Some(problem) = integrity_problem(&mut conn).await?
                {
                    return Err(Error::Damaged(problem));
                }
                drop(conn);
            }
            Ok(Err(e)) => return Err(Error::Unreachable(redacted(&url), e.to_string())),
            Err(_) => {
                return Err(Error::Unreachable(
                    redacted(&url),
                    "no answer within 10 s".into(),
                ));
            }
        }
        let pool = AnyPoolOptions::new()
            .max_connections(match dialect {
                Dialect::Sqlite => 8,
                Dialect::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        // FULL: a change the relay acknowledged survives a power cut, not only
                        // a crash. The busy timeout makes concurrent writers wait their turn.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let db = Self {
            pool,
            dialect,
            url,
            health: Arc::default(),
        };
        db.migrate().await?;
        Ok(db)
    }

    /// Why the database is considered damaged, if it is: `/healthz` says so and nothing is
    /// written (so nothing is acked into a damaged file).
    pub fn damaged(&self) -> Option<String> {
        self.health
            .damaged
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Called with every error the write path meets: corruption marks the database damaged at
    /// once; any other database error runs an integrity check in the background (one at a
    /// time), since a damaged page often first shows as an odd error.
    pub fn noticed(&self, error: &Error) {
        let Error::Database(e) = error else { return };
        if is_corruption(e) {
            self.mark_damaged(e.to_string());
            return;
        }
        if self.dialect != Dialect::Sqlite
            || !matches!(e, sqlx::Error::Database(_))
            || self.health.checking.swap(true, Ordering::AcqRel)
        {
            return;
        }
        let db = self.clone();
        tokio::spawn(async move {
            let checked = match db.pool.acquire().await {
                Ok(mut conn) => integrity_problem(&mut conn).await,
                Err(e) => Err(e.into()),
            };
            match checked {
                Ok(Some(problem)) => db.mark_damaged(problem),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "integrity check could not run"),
            }
            db.health.checking.store(false, Ordering::Release);
        });
    }

    fn mark_damaged(&self, why: String) {
        let mut damaged = self
            .health
            .damaged
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if damaged.is_none() {
            tracing::error!(
                problem = %why,
                "the database file is damaged: the relay stops writing to it; restore it from a \
                 backup (or recover it with sqlite3's .recover) and restart"
            );
            *damaged = Some(why);
        }
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The URL the pool was opened with (PostgreSQL listeners open their own connection).
    pub fn url(&self) -> &str {
        &self.url
    }

    async fn migrate(&self) -> Result<(), Error> {
        // One connection for the whole run, so PostgreSQL's advisory lock (held per
        // connection) keeps two relays starting together from migrating at once.
        let mut conn = self.pool.acquire().await?;
        if self.dialect == Dialect::Postgres {
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(MIGRATION_LOCK)
                .execute(&mut *conn)
                .await?;
        }
        let result = async {
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
            )
            .await?;
            let found: Option<i64> =
                sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
                    .fetch_one(&mut *conn)
                    .await?;
            let found = found.unwrap_or(0);
            if found > SCHEMA_VERSION {
                return Err(Error::SchemaTooNew {
                    found,
                    known: SCHEMA_VERSION,
                });
            }
            for &(version, name, sqlite, postgres) in MIGRATIONS.iter().filter(|(v, ..)| *v > found)
            {
                let sql = match self.dialect {
                    Dialect::Sqlite => sqlite,
                    Dialect::Postgres => postgres,
                };
                let fail = |source| Error::Migration {
                    version,
                    name,
                    source,
                };
                let mut tx = sqlx::Connection::begin(&mut *conn).await.map_err(fail)?;
                sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(fail)?;
                sqlx::query(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                )
                .bind(version)
                .bind(name)
                .bind(now_ms())
                .execute(&mut *tx)
                .await
                .map_err(fail)?;
                tx.commit().await.map_err(fail)?;
                tracing::info!(version, name, "applied migration");
            }
            Ok(())
        }
        .await;
        if self.dialect == Dialect::Postgres {
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(MIGRATION_LOCK)
                .execute(&mut *conn)
                .await?;
        }
        result
    }

    /// The schema version the database is at (0 when new).
    pub async fn schema_version(&self) -> Result<i64, Error> {
        let version: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
            .fetch_one(&self.pool)
            .await?;
        Ok(version.unwrap_or(0))
    }

    /// This database's stable id, created on first use.
    pub async fn relay_id(&self) -> Result<String, Error> {
        sqlx::query(
            "INSERT INTO relay (singleton, relay_id, created_at) VALUES (1, $1, $2) \
             ON CONFLICT (singleton) DO NOTHING",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(now_ms().to_string())
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT relay_id FROM relay WHERE singleton = 1")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Gives this database a new relay id (after it was restored from a backup): devices
    /// see another relay and send everything they hold again.
    pub async fn renew_relay_id(&self) -> Result<String, Error> {
        let id = uuid::Uuid::now_v7().to_string();
        sqlx::query("UPDATE relay SET relay_id = $1 WHERE singleton = 1")
            .bind(&id)
            .execute(&self.pool)
            .await?;
        Ok(id)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// What SQLite's quick check finds wrong with the file, if anything.
async fn integrity_problem(conn: &mut AnyConnection) -> Result<Option<String>, Error> {
    let found: Result<Vec<String>, sqlx::Error> = sqlx::query_scalar("PRAGMA quick_check(5)")
        .fetch_all(&mut *conn)
        .await;
    Ok(match found {
        Ok(lines) if lines.len() == 1 && lines[0] == "ok" => None,
        Ok(lines) => Some(lines.join("; ")),
        Err(e) if is_corruption(&e) => Some(e.to_string()),
        Err(e) => return Err(e.into()),
    })
}

/// SQLite says the file is damaged or not a database (primary codes 11 and 26).
fn is_corruption(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(e) = error else {
        return false;
    };
    e.code()
        .and_then(|code| code.parse::<i64>().ok())
        .is_some_and(|code| matches!(code & 0xff, 11 | 26))
}

/// `url` without a password, for messages.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{}{user}@{}", &url[..scheme_end + 3], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// Milliseconds since the Unix epoch: the one clock every stored time uses.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
