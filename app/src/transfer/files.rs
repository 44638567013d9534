//! Files in and out of the browser: reading a picked or dropped file, offering a download.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The whole file as bytes (a 50 MB file is one read; decoding and parsing are sliced).
pub async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(|e| describe(&e))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// The first file of an `<input type=file>`'s change event.
pub fn picked_file(ev: &web_sys::Event) -> Option<web_sys::File> {
    let input: web_sys::HtmlInputElement = ev.target()?.dyn_into().ok()?;
    let file = input.files()?.get(0);
    // Picking the same file again must fire `change` again.
    input.set_value("");
    file
}

/// The first file of a drop.
pub fn dropped_file(ev: &web_sys::DragEvent) -> Option<web_sys::File> {
    ev.data_transfer()?.files()?.get(0)
}

/// Offers `bytes` as a download named `name`: a Blob, an object URL and a clicked
/// `<a download>`; the URL is revoked afterwards.
pub fn download(name: &str, bytes: &[u8], mime: &str) -> Result<(), String> {
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|e| describe(&e))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| describe(&e))?;
    let document = leptos::prelude::document();
    let a: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|e| describe(&e))?
        .unchecked_into();
    a.set_href(&url);
    a.set_download(name);
    a.set_attribute("data-testid", "download-link").ok();
    a.set_hidden(true);
    if let Some(body) = document.body() {
        body.append_child(&a).ok();
    }
    a.click();
    a.remove();
    // The click has started the download; the object URL is no longer needed.
    web_sys::Url::revoke_object_url(&url).ok();
    Ok(())
}

fn describe(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| "the browser refused".into())
}

/// `YYYY-MM-DD` of a time in ms (UTC), for file names and date columns.
pub fn iso_day(ms: i64) -> String {
    let iso: String = js_sys::Date::new(&JsValue::from_f64(ms as f64))
        .to_iso_string()
        .into();
    iso.chars().take(10).collect()
}

/// A time in ms as ISO 8601 UTC ("2026-03-31T09:00:00.000Z").
pub fn iso_time(ms: i64) -> String {
    js_sys::Date::new(&JsValue::from_f64(ms as f64))
        .to_iso_string()
        .into()
}
