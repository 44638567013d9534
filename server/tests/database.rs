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
