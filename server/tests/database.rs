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
