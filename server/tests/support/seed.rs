//! Fast test set-up straight in the relay's database: people with a live session, workspaces,
//! memberships; and read-outs of what the relay stored.

use kith_core::protocol::Role;
use kith_server::{Db, now_ms};
use sha2::{Digest, Sha256};

/// A user with a live session.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub name: String,
    pub token: String,
}

pub struct Seed {
    pub db: Db,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn random_hex() -> String {
    hex(uuid::Uuid::new_v4().as_bytes()) + &hex(uuid::Uuid::new_v4().as_bytes())
}

impl Seed {
    /// The database at `url` (already migrated by the relay using it).
    pub async fn open(url: &str) -> Self {
        Self {
            db: Db::open(url).await.expect("open the test database"),
        }
    }

    /// A new user with a session valid for a day.
    pub async fn person(&self, name: &str) -> Person {
        let id = uuid::Uuid::now_v7().to_string();
        let token = random_hex();
        sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, created_at) \
             VALUES ($1, $2, $3, 'not-a-hash', $4)",
        )
        .bind(&id)
        .bind(format!("{}-{id}@example.test", name.to_lowercase()))
        .bind(name)
        .bind(now_ms())
        .execute(self.db.pool())
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(hex(&Sha256::digest(token.as_bytes())))
        .bind(&id)
        .bind(now_ms())
        .bind(now_ms() + 86_400_000)
        .execute(self.db.pool())
        .await
        .unwrap();
        Person {
            id,
            name: name.to_string(),
            token,
        }
    }

    /// A new, empty workspace; returns its id.
    pub async fn workspace(&self, name: &str) -> String {
        let id = uuid::Uuid::now_v7().to_string();
        sqlx::query("INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(&id)
            .bind(name)
            .bind(now_ms())
            .execute(self.db.pool())
            .await
            .unwrap();
        id
    }

    pub async fn member(&self, workspace: &str, person: &Person, role: Role) {
        sqlx::query(
            "INSERT INTO memberships (workspace_id, user_id, role, joined_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(workspace)
        .bind(&person.id)
        .bind(role.as_str())
        .bind(now_ms())
        .execute(self.db.pool())
        .await
        .unwrap();
    }

    /// A workspace with `members` in their roles.
    pub async fn team(&self, name: &str, members: &[(&Person, Role)]) -> String {
        let workspace = self.workspace(name).await;
        for (person, role) in members {
            self.member(&workspace, person, *role).await;
        }
        workspace
    }

    pub async fn remove_member(&self, workspace: &str, person: &Person) {
        sqlx::query("DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2")
            .bind(workspace)
            .bind(&person.id)
            .execute(self.db.pool())
            .await
            .unwrap();
    }

    /// Rows in the workspace's change log.
    pub async fn change_count(&self, workspace: &str) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM changes WHERE workspace_id = $1")
            .bind(workspace)
            .fetch_one(self.db.pool())
            .await
            .unwrap()
    }

    /// The workspace's head (last sequence number).
    pub async fn head(&self, workspace: &str) -> u64 {
        let head: i64 = sqlx::query_scalar("SELECT head FROM workspaces WHERE id = $1")
            .bind(workspace)
            .fetch_one(self.db.pool())
            .await
            .unwrap();
        head as u64
    }

    /// The seq a record's snapshot covers, if it has one.
    pub async fn snapshot_seq(&self, workspace: &str, record: &str) -> Option<u64> {
        let seq: Option<i64> = sqlx::query_scalar(
            "SELECT seq FROM snapshots WHERE workspace_id = $1 AND record_id = $2",
        )
        .bind(workspace)
        .bind(record)
        .fetch_optional(self.db.pool())
        .await
        .unwrap();
        seq.map(|s| s as u64)
    }

    pub async fn close(self) {
        self.db.close().await;
    }
}
