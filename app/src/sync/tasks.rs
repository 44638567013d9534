//! Small scheduling helpers: give the browser its turn between steps of long work, and time
//! those steps.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Longest stretch of work between two yields to the browser, in milliseconds. Well under the
/// 50 ms that counts as a long task, so input and paint stay responsive during a bootstrap.
pub const STEP_BUDGET_MS: f64 = 12.0;

/// Milliseconds since the page started, with sub-millisecond precision.
pub fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

/// Measures one step of work against [`STEP_BUDGET_MS`].
pub struct StepClock(f64);

impl StepClock {
    pub fn start() -> Self {
        Self(now())
    }

    /// True once this step used its budget: time to [`next_tick`].
    pub fn due(&self) -> bool {
        now() - self.0 >= STEP_BUDGET_MS
    }
}

/// Lets the browser run its other tasks (input, paint, IndexedDB callbacks), then resumes.
/// Uses `scheduler.yield()` where available (no timer clamping), else a zero timeout.
pub async fn next_tick() {
    let global = js_sys::global();
    let scheduler = Reflect::get(&global, &JsValue::from_str("scheduler")).unwrap_or_default();
    if scheduler.is_object()
        && let Ok(yield_fn) = Reflect::get(&scheduler, &JsValue::from_str("yield"))
        && let Some(yield_fn) = yield_fn.dyn_ref::<Function>()
        && let Ok(promise) = yield_fn.call0(&scheduler)
        && let Ok(promise) = promise.dyn_into::<Promise>()
    {
        let _ = JsFuture::from(promise).await;
        return;
    }
    sleep_ms(0).await;
}

/// Resolves after `ms` milliseconds.
pub async fn sleep_ms(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        } else {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    });
    let _ = JsFuture::from(promise).await;
}
