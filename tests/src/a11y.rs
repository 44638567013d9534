//! Accessibility checks with axe-core (from npm, see `tests/axe/`): the page as it is now
//! must have no serious or critical WCAG 2.1 A/AA violation.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::{Browser, DEFAULT_TIMEOUT, workspace_root};

/// Impacts that fail a check; "minor" and "moderate" ones are listed but do not fail.
const FAILING: [&str; 2] = ["serious", "critical"];

fn axe_script() -> Result<String> {
    let path = std::env::var_os("AXE_JS").map_or_else(
        || workspace_root().join("tests/axe/node_modules/axe-core/axe.min.js"),
        PathBuf::from,
    );
    std::fs::read_to_string(&path).with_context(|| {
        format!(
            "reading axe-core from {} (run `npm ci` in tests/axe, or `cargo xtask test` which does)",
            path.display()
        )
    })
}

/// One rule broken somewhere on the page.
#[derive(Debug)]
pub struct Violation {
    pub rule: String,
    pub impact: String,
    pub help: String,
    /// CSS selectors of the offending elements (first few).
    pub targets: Vec<String>,
}

impl Browser {
    /// Runs axe-core on the current page; fails listing every serious or critical violation.
    /// `screen` names the page in the message.
    pub async fn check_accessibility(&self, screen: &str) -> Result<Vec<Violation>> {
        let injected = self
            .eval("return typeof window.axe === 'object';")
            .await?
            .as_bool()
            .unwrap_or(false);
        if !injected {
            self.eval(&format!("{}\nreturn true;", axe_script()?))
                .await
                .context("injecting axe-core")?;
        }
        let report = self
            .eval_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {
                   runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
                   resultTypes: ['violations'],
                 }).then(r => done(r.violations.map(v => ({
                   rule: v.id, impact: v.impact || '', help: v.help,
                   targets: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
                 })))).catch(e => done({ error: String(e) }));",
            )
            .await?;
        if let Some(error) = report.get("error") {
            bail!("axe-core failed on {screen}: {error}");
        }
        let violations: Vec<Violation> = report
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| Violation {
                rule: text(v, "rule"),
                impact: text(v, "impact"),
                help: text(v, "help"),
                targets: v["targets"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect(),
            })
            .collect();
        let failing: Vec<String> = violations
            .iter()
            .filter(|v| FAILING.contains(&v.impact.as_str()))
            .map(|v| {
                format!(
                    "  [{}] {}: {} — {}",
                    v.impact,
                    v.rule,
                    v.help,
                    v.targets.join(", ")
                )
            })
            .collect();
        if !failing.is_empty() {
            bail!(
                "accessibility violations on {screen}:\n{}",
                failing.join("\n")
            );
        }
        Ok(violations)
    }
}

impl Browser {
    /// Fails when the page itself scrolls sideways (content wider than the screen), naming
    /// the widest elements; scrolling inside a scroll container (a board, a table) is fine.
    pub async fn check_no_sideways_scroll(&self, screen: &str) -> Result<()> {
        let report = self
            .eval(
                "const w = document.documentElement.clientWidth;
                 if (document.documentElement.scrollWidth <= w) return null;
                 const inScroller = (el) => {
                   for (let p = el.parentElement; p; p = p.parentElement) {
                     const o = getComputedStyle(p).overflowX;
                     if (o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') return true;
                   }
                   return false;
                 };
                 const wide = [...document.querySelectorAll('body *')]
                   .filter((el) => el.getBoundingClientRect().right > w + 1);
                 const outside = wide.filter((el) => !inScroller(el) || ['fixed', 'absolute'].includes(getComputedStyle(el).position));
                 return (outside.length ? outside : wide)
                   .slice(0, 5)
                   .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} (${Math.round(el.getBoundingClientRect().right)} px)`)
                   .join(', ') || 'the document';",
            )
            .await?;
        match report.as_str() {
            None => Ok(()),
            Some(culprits) => bail!("{screen} scrolls sideways: wider than the screen: {culprits}"),
        }
    }
}

/// The sizes every screen is checked at: desktop, then phone.
pub const SCREEN_SIZES: [(u32, u32, &str); 2] = [(1440, 900, "desktop"), (390, 844, "phone")];

impl Browser {
    /// The screen now shown, at each of [`SCREEN_SIZES`] once `ready` is on screen: axe-core,
    /// no sideways scroll, and a screenshot `<shot>-<size>.png`; back at desktop size after.
    pub async fn check_screen(&self, shot: &str, ready: &str) -> Result<()> {
        for (width, height, size) in SCREEN_SIZES {
            self.set_viewport(width, height).await?;
            self.wait_for(ready, DEFAULT_TIMEOUT).await?;
            let screen = format!("{shot} at {width}×{height}");
            self.check_accessibility(&screen).await?;
            self.check_no_sideways_scroll(&screen).await?;
            self.check_content_security_policy(&screen).await?;
            self.screenshot(&format!("{shot}-{size}")).await?;
        }
        self.set_viewport(1440, 900).await
    }

    /// Nothing the app did so far was blocked by the relay's Content-Security-Policy (the
    /// browser logs each violation to the console).
    pub async fn check_content_security_policy(&self, screen: &str) -> Result<()> {
        let blocked: Vec<String> = self
            .console_log()
            .await?
            .into_iter()
            .filter(|e| e.message.contains("Content Security Policy"))
            .map(|e| e.message)
            .collect();
        if blocked.is_empty() {
            Ok(())
        } else {
            bail!(
                "{screen}: the Content-Security-Policy blocked: {}",
                blocked.join(" | ")
            )
        }
    }
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}
