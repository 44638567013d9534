//! The Kith app. `index.html` loads the wasm module and calls [`start`].

mod account;
mod app;
#[cfg(feature = "bench")]
pub mod bench;
mod deals;
pub mod duplicates;
mod icons;
mod leads;
mod pages;
mod palette;
pub mod privacy;
mod records;
pub mod relay_link;
pub mod session;
mod shell;
pub mod store;
pub mod sync;
mod tasks;
mod timeline;
mod toasts;
mod transfer;
mod views;
pub mod workspace;

pub use app::App;

/// Entry point called by `index.html` once the module is instantiated.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn start() {
    leptos::mount::mount_to_body(App);
}
