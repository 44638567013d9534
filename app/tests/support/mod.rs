//! Helpers shared by the browser test binaries (each includes this with `mod support;`).
#![allow(dead_code)]

use std::time::Duration;

use leptos::prelude::window;
use wasm_bindgen_futures::JsFuture;

/// A main-thread task this long means the work was not split into steps (a step aims at
/// `STEP_BUDGET_MS`, 12 ms). The 50 ms budget itself is a benchmark figure (`cargo xtask
/// bench`): asserted here, a busy machine's scheduling noise (53 ms seen) fails the test.
pub const UNSLICED_TASK_MS: f64 = 150.0;

/// Resolves after `ms` milliseconds, letting the browser run the app's tasks.
pub async fn pause(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

/// Polls `check` until it returns `Some`, failing with `what` after a deadline.
pub async fn until<T>(what: &str, check: impl FnMut() -> Option<T>) -> T {
    until_for(Duration::from_secs(10).as_secs_f64(), what, check).await
}

/// [`until`] with a deadline of `secs` seconds.
pub async fn until_for<T>(secs: f64, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = js_sys::Date::now() + secs * 1000.0;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            js_sys::Date::now() < deadline,
            "timed out waiting for {what}"
        );
        pause(10).await;
    }
}

/// Polls `check` until it is true, failing with `what` after a deadline.
pub async fn until_true(what: &str, mut check: impl FnMut() -> bool) {
    until(what, || check().then_some(())).await
}
