//! Reading and writing the files people bring to and take from Kith: CSV exports of other
//! CRMs, vCards, spreadsheets saved in whatever encoding. Everything here is pure (text in,
//! values out) so the app can run it in slices on the main thread and the tests can throw
//! arbitrary bytes at it.

pub mod csv;
pub mod mapping;
pub mod plan;
pub mod text;
pub mod values;
pub mod vcard;
