//! JS ⇄ Rust conversion of the stored values. Decoding never trusts what it reads: anything
//! that is not exactly what this version writes comes back as a reason, never a panic.

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use super::{OutboxEntry, RecordBytes, SummaryBytes};

/// The only value layout this version writes and reads (the `v` field of every value).
pub(crate) const VALUE_VERSION: u32 = 1;

/// Property names, made into JS strings once per batch rather than once per entry.
pub(crate) struct Fields {
    v: JsValue,
    kind: JsValue,
    snapshot: JsValue,
    changes: JsValue,
    bytes: JsValue,
    record_id: JsValue,
}

impl Fields {
    pub(crate) fn new() -> Self {
        Self {
            v: "v".into(),
            kind: "kind".into(),
            snapshot: "snapshot".into(),
            changes: "changes".into(),
            bytes: "bytes".into(),
            record_id: "record_id".into(),
        }
    }

    fn object(&self, pairs: &[(&JsValue, &JsValue)]) -> Object {
        let obj = Object::new();
        // Setting a data property on a fresh plain object cannot fail.
        let _ = Reflect::set(&obj, &self.v, &JsValue::from(VALUE_VERSION));
        for (key, value) in pairs {
            let _ = Reflect::set(&obj, key, value);
        }
        obj
    }

    pub(crate) fn record(&self, kind: &str, snapshot: &[u8], changes: &[Vec<u8>]) -> Object {
        let list: Array = changes.iter().map(|c| Uint8Array::from(&c[..])).collect();
        self.object(&[
            (&self.kind, &kind.into()),
            (&self.snapshot, &Uint8Array::from(snapshot).into()),
            (&self.changes, &list.into()),
        ])
    }

    pub(crate) fn summary(&self, kind: &str, bytes: &[u8]) -> Object {
        self.object(&[
            (&self.kind, &kind.into()),
            (&self.bytes, &Uint8Array::from(bytes).into()),
        ])
    }

    pub(crate) fn outbox(&self, record_id: &str, bytes: &[u8]) -> Object {
        self.object(&[
            (&self.record_id, &record_id.into()),
            (&self.bytes, &Uint8Array::from(bytes).into()),
        ])
    }

    /// Appends one change chunk to a stored record value in place (no copy through wasm of the
    /// chunks already there), after checking the value is a record this version understands.
    pub(crate) fn append_change(
        &self,
        stored: &JsValue,
        kind: &str,
        chunk: &[u8],
    ) -> Result<(), String> {
        let obj = self.checked(stored)?;
        self.bytes_field(&obj, &self.snapshot, "snapshot")?;
        let changes = self.changes_field(&obj)?;
        changes.push(&Uint8Array::from(chunk));
        Reflect::set(&obj, &self.kind, &kind.into()).map_err(|_| "not writable".to_owned())?;
        Ok(())
    }

    /// (change chunks, snapshot bytes) of a stored record value: enough to tell whether it
    /// changed since it was read.
    pub(crate) fn record_shape(&self, stored: &JsValue) -> Result<(usize, usize), String> {
        let obj = self.checked(stored)?;
        let snapshot = self.bytes_field(&obj, &self.snapshot, "snapshot")?;
        let changes = self.changes_field(&obj)?;
        Ok((changes.length() as usize, snapshot.length() as usize))
    }

    pub(crate) fn decode_record(&self, id: String, value: &JsValue) -> Result<RecordBytes, String> {
        let obj = self.checked(value)?;
        let kind = self.string_field(&obj, &self.kind, "kind")?;
        let snapshot = self.bytes_field(&obj, &self.snapshot, "snapshot")?.to_vec();
        let changes = self
            .changes_field(&obj)?
            .iter()
            .map(|c| c.unchecked_into::<Uint8Array>().to_vec())
            .collect();
        Ok(RecordBytes {
            id,
            kind,
            snapshot,
            changes,
        })
    }

    pub(crate) fn decode_summary(
        &self,
        id: String,
        value: &JsValue,
        kinds: &mut Kinds,
    ) -> Result<SummaryBytes, String> {
        let obj = self.checked(value)?;
        let kind = kinds.text(get(&obj, &self.kind))?;
        let bytes = self.bytes_field(&obj, &self.bytes, "bytes")?.to_vec();
        Ok(SummaryBytes { id, kind, bytes })
    }

    pub(crate) fn decode_outbox(&self, seq: u64, value: &JsValue) -> Result<OutboxEntry, String> {
        let obj = self.checked(value)?;
        let record_id = self.string_field(&obj, &self.record_id, "record_id")?;
        let bytes = self.bytes_field(&obj, &self.bytes, "bytes")?.to_vec();
        Ok(OutboxEntry {
            seq,
            record_id,
            bytes,
        })
    }

    /// An object whose `v` is the version this code writes.
    fn checked(&self, value: &JsValue) -> Result<Object, String> {
        if !value.is_object() || Array::is_array(value) {
            return Err(format!("not an object ({})", describe(value)));
        }
        let obj: Object = value.clone().unchecked_into();
        let v = get(&obj, &self.v);
        match v.as_f64() {
            Some(n) if n == f64::from(VALUE_VERSION) => Ok(obj),
            Some(n) => Err(format!(
                "unsupported value version v={n} (this version reads v={VALUE_VERSION})"
            )),
            None => Err(format!("field `v` is {}, not a number", describe(&v))),
        }
    }

    fn string_field(&self, obj: &Object, key: &JsValue, name: &str) -> Result<String, String> {
        let value = get(obj, key);
        value
            .as_string()
            .ok_or_else(|| format!("field `{name}` is {}, not a string", describe(&value)))
    }

    fn bytes_field(&self, obj: &Object, key: &JsValue, name: &str) -> Result<Uint8Array, String> {
        let value = get(obj, key);
        value
            .dyn_into::<Uint8Array>()
            .map_err(|v| format!("field `{name}` is {}, not a Uint8Array", describe(&v)))
    }

    fn changes_field(&self, obj: &Object) -> Result<Array, String> {
        let value = get(obj, &self.changes);
        let list = value
            .dyn_into::<Array>()
            .map_err(|v| format!("field `changes` is {}, not an array", describe(&v)))?;
        if let Some(i) = list.iter().position(|c| !c.is_instance_of::<Uint8Array>()) {
            return Err(format!("changes[{i}] is not a Uint8Array"));
        }
        Ok(list)
    }
}

/// Kinds are few and repeat: compare JS strings (cheap) instead of converting each one.
#[derive(Default)]
pub(crate) struct Kinds {
    last: Option<(JsValue, String)>,
}

impl Kinds {
    fn text(&mut self, kind: JsValue) -> Result<String, String> {
        if let Some((js, text)) = &self.last
            && *js == kind
        {
            return Ok(text.clone());
        }
        let text = kind
            .as_string()
            .ok_or_else(|| format!("field `kind` is {}, not a string", describe(&kind)))?;
        self.last = Some((kind, text.clone()));
        Ok(text)
    }
}

/// A property of an object; a throwing getter (not something structured clone produces) reads
/// as `undefined`.
fn get(obj: &Object, key: &JsValue) -> JsValue {
    Reflect::get(obj, key).unwrap_or(JsValue::UNDEFINED)
}

/// A short description of a value for a skip reason (never the value itself: it may be large).
pub(crate) fn describe(value: &JsValue) -> String {
    if value.is_undefined() {
        "missing".to_owned()
    } else if value.is_null() {
        "null".to_owned()
    } else if Array::is_array(value) {
        "an array".to_owned()
    } else if value.is_instance_of::<Uint8Array>() {
        "a Uint8Array".to_owned()
    } else if value.is_object() {
        "an object".to_owned()
    } else {
        format!("a {}", value.js_typeof().as_string().unwrap_or_default())
    }
}

/// A key as text for a skip report (store keys here are strings or numbers).
pub(crate) fn key_text(key: &JsValue) -> String {
    key.as_string()
        .or_else(|| key.as_f64().map(|n| n.to_string()))
        .unwrap_or_else(|| describe(key))
}
