//! What the Kith app (wasm) and the relay (native) share. Nothing here does I/O, so every
//! piece is tested natively with plain `cargo test` and compiled unchanged to wasm32.

pub mod api;
pub mod backoff;
pub mod backup;
pub mod changes;
pub mod directory;
pub mod duplicates;
pub mod ids;
pub mod io;
pub mod merge;
pub mod pipeline;
pub mod privacy;
pub mod protocol;
pub mod qualify;
pub mod record;
pub mod summary;
pub mod validate;
pub mod versioned;
pub mod view;
