//! The relay's database: SQLite (default, one file) or PostgreSQL (several relays on one
//! database), opened, migrated and identified at start.
//!
//! Both back ends run the same queries through sqlx's `Any` driver: write SQL that both
//! understand (`$1` placeholders, `ON CONFLICT`, `RETURNING`, BIGINT milliseconds, TEXT ids).
//! Every write transaction must start with a write (usually `UPDATE workspaces … RETURNING`,
//! which is also the per-workspace lock): on SQLite a transaction that reads first and writes
//! later can fail with "database is locked" instead of waiting.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

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
            return Err(Error::UnsupportedDatabase(url.to_string()));
        };
        let options = AnyConnectOptions::from_str(&url)?;
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
        let db = Self { pool, dialect, url };
        db.migrate().await?;
        Ok(db)
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

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Milliseconds since the Unix epoch: the one clock every stored time uses.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
