//! The store's error type and the mapping from browser exceptions to it.

use indexed_db_futures::error::{Error as IdbError, OpenDbError};
use wasm_bindgen::{JsCast, JsValue};

/// Why a store operation failed. Every variant's message is fit to show the user.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    /// The browser's `QuotaExceededError`: nothing was written.
    #[error("the browser refused to store more data (storage quota exceeded); nothing was saved")]
    QuotaExceeded,
    /// The database was created by a newer version of Kith than this one.
    #[error(
        "the local database \"{name}\" has schema version {found}, newer than this app understands \
         ({supported}); reload to get the newer version of Kith"
    )]
    VersionTooNew {
        name: String,
        found: u64,
        supported: u32,
    },
    /// Upgrading the database waits for another tab that still has it open.
    #[error(
        "another Kith tab or window still has the local database \"{name}\" open with an older \
         version; close or reload the other Kith tabs, then try again"
    )]
    Blocked { name: String },
    /// This connection was closed so that another tab could upgrade or delete the database.
    #[error(
        "the local database was closed because a newer version of Kith opened it in another tab; \
         reload this tab"
    )]
    Closed,
    /// An entry read back is not what this version of Kith writes (nothing was changed).
    #[error("the entry {key:?} in {store} is unreadable: {reason}")]
    Corrupt {
        store: &'static str,
        key: String,
        reason: String,
    },
    /// Any other failure: the DOMException name and message when there is one.
    #[error("local database error: {0}")]
    Other(String),
}

impl StoreError {
    /// A record written with [`super::Append::Create`] was already stored.
    pub fn is_already_stored(&self) -> bool {
        matches!(self, Self::Other(m) if m.starts_with("ConstraintError"))
    }
}

impl From<web_sys::DomException> for StoreError {
    fn from(e: web_sys::DomException) -> Self {
        match e.name().as_str() {
            "QuotaExceededError" => Self::QuotaExceeded,
            name => Self::Other(format!("{name}: {}", e.message())),
        }
    }
}

impl From<IdbError> for StoreError {
    fn from(e: IdbError) -> Self {
        match e {
            IdbError::DomException(d) => web_sys::DomException::from(d).into(),
            other => Self::Other(other.to_string()),
        }
    }
}

impl From<OpenDbError> for StoreError {
    fn from(e: OpenDbError) -> Self {
        match e {
            OpenDbError::Base(e) => e.into(),
            other => Self::Other(other.to_string()),
        }
    }
}

impl From<JsValue> for StoreError {
    fn from(value: JsValue) -> Self {
        match value.dyn_into::<web_sys::DomException>() {
            Ok(d) => d.into(),
            Err(value) => match value.dyn_into::<js_sys::Error>() {
                Ok(e) => Self::Other(format!("{}: {}", e.name(), e.message())),
                Err(value) => Self::Other(format!("{value:?}")),
            },
        }
    }
}
