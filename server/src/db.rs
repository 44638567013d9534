//! The relay's database: opened, migrated and identified at start.

use std::str::FromStr;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::Error;

/// Ordered schema migrations; a migration never changes once released.
const MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "relay identity",
    include_str!("../migrations/0001_relay_identity.sql"),
)];

/// Newest schema version this relay knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

#[derive(Debug, Clone)]
pub struct Db {
    pool: SqlitePool,
}

impl Db {
    /// Opens (creating if needed) and migrates the database at `url`.
    pub async fn open(url: &str) -> Result<Self, Error> {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| Error::UnsupportedDatabase(url.to_string()))?;
        if let Some(parent) = std::path::Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent)?;
        }
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a change the relay acknowledged survives a power cut, not only a crash.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        let db = Self { pool };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<(), Error> {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
        )
        .execute(&self.pool)
        .await?;
        let found = self.schema_version().await?;
        if found > SCHEMA_VERSION {
            return Err(Error::SchemaTooNew {
                found,
                known: SCHEMA_VERSION,
            });
        }
        for &(version, name, sql) in MIGRATIONS.iter().filter(|(v, _, _)| *v > found) {
            let fail = |source| Error::Migration {
                version,
                name,
                source,
            };
            let mut tx = self.pool.begin().await.map_err(fail)?;
            sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(fail)?;
            sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, datetime('now'))")
                .bind(version)
                .bind(name)
                .execute(&mut *tx)
                .await
                .map_err(fail)?;
            tx.commit().await.map_err(fail)?;
            tracing::info!(version, name, "applied migration");
        }
        Ok(())
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
        sqlx::query("INSERT OR IGNORE INTO relay (singleton, relay_id, created_at) VALUES (1, ?, datetime('now'))")
            .bind(uuid::Uuid::now_v7().to_string())
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
