//! What the relay tells browsers to protect the app: a Content-Security-Policy that fits the
//! wasm app (its own scripts and wasm only, no framing), no MIME sniffing, no referrer, and
//! HSTS when the relay is served over TLS.

use std::path::Path;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use base64::Engine;
use sha2::{Digest, Sha256};
use tower_http::set_header::SetResponseHeaderLayer;

/// Adds the security headers to every response of `router`.
pub fn protect(router: Router, dist: &Path, hsts: bool) -> Router {
    let csp = content_security_policy(
        &std::fs::read_to_string(dist.join("index.html")).unwrap_or_default(),
    );
    let mut headers: Vec<(HeaderName, String)> = vec![
        (header::CONTENT_SECURITY_POLICY, csp),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
        (header::X_FRAME_OPTIONS, "DENY".into()),
        (header::REFERRER_POLICY, "no-referrer".into()),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin".into(),
        ),
    ];
    if hsts {
        headers.push((
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains".into(),
        ));
    }
    headers.into_iter().fold(router, |router, (name, value)| {
        let value = HeaderValue::from_str(&value).expect("header values are ASCII");
        router.layer(SetResponseHeaderLayer::overriding(name, value))
    })
}

/// The policy for the app in `index_html`: scripts only from the relay, plus the inline
/// scripts of `index.html` itself by hash (the boot script and service worker registration),
/// wasm compilation, and no framing, plugins or foreign form targets. Styles allow inline
/// attributes (the views set a few); nothing else may run from them.
pub fn content_security_policy(index_html: &str) -> String {
    let hashes: String = inline_scripts(index_html)
        .map(|script| {
            let digest = Sha256::digest(script.as_bytes());
            format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
         worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// The text of every `<script>` without a `src` attribute, as the browser hashes it.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    let mut rest = html;
    std::iter::from_fn(move || {
        loop {
            let open = rest.find("<script")?;
            let tag_end = open + rest[open..].find('>')?;
            let tag = &rest[open..tag_end];
            let body_start = tag_end + 1;
            let body_end = body_start + rest[body_start..].find("</script>")?;
            let body = &rest[body_start..body_end];
            rest = &rest[body_end..];
            if !tag.contains(" src=") {
                return Some(body);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_allowed_by_hash_and_nothing_else_inline() {
        let html = "<head><script>one()</script><script type=\"module\" src=\"/a.js\"></script>\n<script type=\"module\">\n  two();\n</script></head>";
        let found: Vec<&str> = inline_scripts(html).collect();
        assert_eq!(found, vec!["one()", "\n  two();\n"]);
        let csp = content_security_policy(html);
        // echo -n 'one()' | openssl dgst -sha256 -binary | base64
        assert!(
            csp.contains("'sha256-HR7iaask9daLMRRskMI++QeJtjWDOjyPA6lGzYGzKW4='"),
            "{csp}"
        );
        assert_eq!(csp.matches("'sha256-").count(), 2);
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("'unsafe-eval'"));
        assert!(!csp.contains("script-src 'self' 'unsafe-inline'"));
    }
}
