//! Bulk reads: every (primary key, value) pair of a store or index range, in key order.
//!
//! `getAll()` and `getAllKeys()` are issued together in one read transaction, so both see the
//! same snapshot in the same order. Chromium's newer `getAllRecords()` (one request) was
//! measured and is not faster: its records deserialise their values lazily, on access.

use indexed_db_futures::KeyRange;
use indexed_db_futures::error::Error as IdbError;
use indexed_db_futures::internals::{QuerySourceInternal, SystemRepr};
use indexed_db_futures::prelude::*;
use wasm_bindgen::JsValue;

use super::StoreError;

/// (primary key, value) pairs of `source`, only those whose key (index key, for an index)
/// equals `query` when given.
pub(crate) async fn all_pairs<Q, R>(
    source: &Q,
    query: Option<&str>,
) -> Result<Vec<(JsValue, JsValue)>, StoreError>
where
    Q: QuerySource + SystemRepr<Repr = R>,
    R: QuerySourceInternal,
{
    let (keys, values) = match query {
        Some(q) => (
            source.get_all_keys::<JsValue>().with_query(q).primitive()?,
            source.get_all::<JsValue>().with_query(q).primitive()?,
        ),
        None => (
            source.get_all_keys::<JsValue>().primitive()?,
            source.get_all::<JsValue>().primitive()?,
        ),
    };
    let (keys, values) = (keys.await?, values.await?);
    keys.zip(values)
        .map(|(k, v)| Ok((k?, v?)))
        .collect::<Result<_, IdbError>>()
        .map_err(StoreError::from)
}

/// Up to `limit` (primary key, value) pairs of `source` with keys after `after`, in key order:
/// one page of a long read, so no single request deserialises the whole store at once.
pub(crate) async fn page_pairs<Q, R>(
    source: &Q,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<(JsValue, JsValue)>, StoreError>
where
    Q: QuerySource + SystemRepr<Repr = R>,
    R: QuerySourceInternal,
{
    let (keys, values) = match after {
        Some(after) => (
            source
                .get_all_keys::<JsValue>()
                .with_query::<&str, KeyRange<&str>>(KeyRange::LowerBound(after, true))
                .with_limit(limit)
                .primitive()?,
            source
                .get_all::<JsValue>()
                .with_query::<&str, KeyRange<&str>>(KeyRange::LowerBound(after, true))
                .with_limit(limit)
                .primitive()?,
        ),
        None => (
            source
                .get_all_keys::<JsValue>()
                .with_limit(limit)
                .primitive()?,
            source.get_all::<JsValue>().with_limit(limit).primitive()?,
        ),
    };
    let (keys, values) = (keys.await?, values.await?);
    keys.zip(values)
        .map(|(k, v)| Ok((k?, v?)))
        .collect::<Result<_, IdbError>>()
        .map_err(StoreError::from)
}

/// Up to `limit` (primary key, value) pairs of `source` with numeric keys above `after`, in key
/// order (the outbox, whose keys are sequence numbers).
pub(crate) async fn page_pairs_after_number<Q, R>(
    source: &Q,
    after: f64,
    limit: u32,
) -> Result<Vec<(JsValue, JsValue)>, StoreError>
where
    Q: QuerySource + SystemRepr<Repr = R>,
    R: QuerySourceInternal,
{
    let keys = source
        .get_all_keys::<JsValue>()
        .with_query::<f64, KeyRange<f64>>(KeyRange::LowerBound(after, true))
        .with_limit(limit)
        .primitive()?;
    let values = source
        .get_all::<JsValue>()
        .with_query::<f64, KeyRange<f64>>(KeyRange::LowerBound(after, true))
        .with_limit(limit)
        .primitive()?;
    let (keys, values) = (keys.await?, values.await?);
    keys.zip(values)
        .map(|(k, v)| Ok((k?, v?)))
        .collect::<Result<_, IdbError>>()
        .map_err(StoreError::from)
}
