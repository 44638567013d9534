//! Both database back ends open, migrate and serve.
mod support;
use support::Backend;

async fn health_on(backend: Backend) {
    let (relay, _dir, _url) = support::relay(backend).await;
    let db = kith_server::Db::open(&_url).await.unwrap();
    assert_eq!(
        db.schema_version().await.unwrap(),
        kith_server::SCHEMA_VERSION
    );
    relay.shutdown().await.unwrap();
}
on_both_backends!(migrates_and_answers, health_on);

#[tokio::test]
async fn a_damaged_sqlite_file_is_refused_with_what_is_wrong() {
    let (relay, dir, url) = support::relay(Backend::Sqlite).await;
    // Some rows, so the file has pages past its schema.
    let seed = support::seed::Seed::open(&url).await;
    for n in 0..200 {
        seed.person(&format!("Person {n}")).await;
    }
    seed.close().await;
    relay.shutdown().await.unwrap();
    let path = dir.path().join("kith.db");
    assert!(
        !dir.path().join("kith.db-wal").exists()
            || std::fs::metadata(dir.path().join("kith.db-wal"))
                .unwrap()
                .len()
                == 0,
        "a clean shutdown leaves no write-ahead log"
    );
    let mut bytes = std::fs::read(&path).unwrap();
    let page = 4096;
    assert!(bytes.len() > 6 * page, "{} bytes", bytes.len());
    // Scribble over every page but the first (the header and schema root survive).
    for (i, byte) in bytes[page..].iter_mut().enumerate() {
        *byte = (i * 7 + 3) as u8;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = kith_server::spawn(support::config_on(&dir, &url))
        .await
        .err()
        .expect("a damaged database is refused");
    let message = err.to_string();
    assert!(message.contains("damaged"), "{message}");
    assert!(message.contains("backup"), "{message}");
}

#[tokio::test]
async fn database_urls_never_show_their_password() {
    let unsupported = kith_server::Db::open("mysql://kith:hunter2secret@127.0.0.1/kith")
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(!unsupported.contains("hunter2secret"), "{unsupported}");
    assert!(unsupported.contains("mysql"), "{unsupported}");
    // Port 1 on loopback: nothing listens there.
    let unreachable = kith_server::Db::open("postgres://kith:hunter2secret@127.0.0.1:1/kith")
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(!unreachable.contains("hunter2secret"), "{unreachable}");
    assert!(
        unreachable.contains("could not reach the database at postgres://kith@127.0.0.1:1/kith"),
        "{unreachable}"
    );
    assert!(!unreachable.contains("pool timed out"), "{unreachable}");
}

/// A database written by the previous relay (schema 2, with changes in its log) gets the
/// storage sizes of what it already holds when this relay migrates it.
async fn upgrade_from_schema_2(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display()),
        Backend::Postgres => support::postgres::fresh_database().await,
    };
    let dialect = if backend == Backend::Sqlite {
        "sqlite"
    } else {
        "postgres"
    };
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, \
         applied_at BIGINT NOT NULL)",
    )
    .execute(&pool)
    .await
    .unwrap();
    for (version, file) in [
        (1, "0001_relay_identity.sql"),
        (2, "0002_accounts_and_log.sql"),
    ] {
        let path = format!("{}/migrations/{dialect}/{file}", env!("CARGO_MANIFEST_DIR"));
        sqlx::raw_sql(&std::fs::read_to_string(path).unwrap())
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'old', 0)",
        )
        .bind(version as i64)
        .execute(&pool)
        .await
        .unwrap();
    }
    sqlx::query("INSERT INTO workspaces (id, name, created_at, head) VALUES ('w1', 'Old', 0, 5)")
        .execute(&pool)
        .await
        .unwrap();
    for (seq, record, hash, size) in [
        (1, "r1", "h1", 100),
        (2, "r1", "h2", 50),
        (3, "r2", "h3", 7),
    ] {
        sqlx::query(
            "INSERT INTO changes (workspace_id, seq, record_id, hash, user_id, bytes, received_at) \
             VALUES ('w1', $1, $2, $3, 'u1', $4, 0)",
        )
        .bind(seq as i64)
        .bind(record)
        .bind(hash)
        .bind(vec![1u8; size])
        .execute(&pool)
        .await
        .unwrap();
    }
    // A real record by Alice, whose second change (no Author footer) only its actor names.
    let mut record = kith_core::record::Record::create(
        kith_core::ids::RecordId::new(),
        kith_core::record::RecordKind::Person,
        &kith_core::ids::UserId("alice".into()),
        1,
    );
    record
        .edit(2, |e| e.set(kith_core::record::Field::Name, "Ada"))
        .unwrap();
    let real = record.changes();
    let actor = automerge::Change::try_from(real[1].as_slice())
        .unwrap()
        .actor_id()
        .to_hex_string();
    for (seq, bytes) in [(4i64, &real[0]), (5, &real[1])] {
        sqlx::query(
            "INSERT INTO changes (workspace_id, seq, record_id, hash, user_id, bytes, received_at) \
             VALUES ('w1', $1, 'r3', $2, 'alice', $3, 0)",
        )
        .bind(seq)
        .bind(format!("real{seq}"))
        .bind(bytes.clone())
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;

    // The relay migrates it and learns who wrote what before it starts serving.
    let relay = kith_server::spawn(support::config_on(&dir, &url))
        .await
        .unwrap();
    relay.shutdown().await.unwrap();
    let db = kith_server::Db::open(&url).await.unwrap();
    assert_eq!(
        db.schema_version().await.unwrap(),
        kith_server::SCHEMA_VERSION
    );
    let real_bytes = (real[0].len() + real[1].len()) as i64;
    let stored: i64 = sqlx::query_scalar("SELECT stored_bytes FROM workspaces WHERE id = 'w1'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(stored, 157 + real_bytes);
    let mut sizes: Vec<(String, i64)> = sqlx::query_as(
        "SELECT record_id, stored_bytes FROM record_sizes WHERE workspace_id = 'w1'",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    sizes.sort();
    assert_eq!(
        sizes,
        vec![
            ("r1".to_string(), 150),
            ("r2".to_string(), 7),
            ("r3".to_string(), real_bytes)
        ]
    );
    // Alice's old actor is hers: nobody else can push in her name with it now.
    let owner: String = sqlx::query_scalar("SELECT user_id FROM actors WHERE actor = $1")
        .bind(&actor)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(owner, "alice");
    db.close().await;
}
on_both_backends!(
    an_old_database_gets_the_sizes_of_what_it_holds,
    upgrade_from_schema_2
);
