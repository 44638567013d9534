//! CRM screens under load, in headless Chromium, against baselines measured in the same run:
//! the deals board with 2,000 open deals (first paint, a keyboard move, pointer-drag frames),
//! the people list with 100k people (a filter applied, a sort changed, scrolling frames) and a
//! 100k-row CSV import (preview, dry run, import, undo; the longest main-thread task of each).
//!
//! Baselines: the same number of cards built and moved with plain DOM calls, a plain JS
//! filter/sort over the same strings, and plain JS splitting the same CSV and putting its rows
//! into IndexedDB. Run by `cargo xtask bench` on the bench build.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use fantoccini::wd::TimeoutConfiguration;
use kith_e2e::{Browser, TestRelay, dist_dir, tid};
use serde_json::{Value, json};

const USAGE: &str = "usage: crm_bench [--dist DIR] [--deals N] [--people N] [--import-rows N] [--only board|list|import]";
const LOAD_TIMEOUT: Duration = Duration::from_secs(300);

/// Shared by every in-page script: `args`, `done`, `afterNextPaint`, `longTasksSince`.
macro_rules! page_js {
    ($body:literal) => {
        concat!(
            r#"
const done = arguments[arguments.length - 1];
const args = arguments[0];
const afterNextPaint = () => new Promise((resolve) => requestAnimationFrame(() => {
  const ch = new MessageChannel();
  ch.port1.onmessage = () => resolve(performance.now());
  ch.port2.postMessage(0);
}));
const longTasksSince = (t) => (window.__kithPerf ? window.__kithPerf.longtasks : [])
  .filter((e) => e.start >= t).map((e) => e.duration);
const until = async (what, test, ms = 60000) => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const v = test();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('timed out waiting for ' + what);
};
(async () => {
"#,
            $body,
            r#"
})().then(done, (e) => done({ error: String(e && e.stack || e) }));
"#
        )
    };
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut dist, mut deals, mut people): (Option<PathBuf>, u32, u32) = (None, 2_000, 100_000);
    let mut import_rows = 100_000;
    let mut only: Option<String> = None;
    while let Some(arg) = args.next() {
        let mut number = |what: &str| -> Result<u32> {
            args.next()
                .with_context(|| format!("{what} needs a number"))?
                .parse()
                .context(USAGE)
        };
        match arg.as_str() {
            "--dist" => dist = args.next().map(Into::into),
            "--deals" => deals = number("--deals")?,
            "--people" => people = number("--people")?,
            "--import-rows" => import_rows = number("--import-rows")?,
            "--only" => only = args.next(),
            _ => bail!("{USAGE}"),
        }
    }
    let dist = match dist {
        Some(d) => d,
        None => dist_dir()?,
    };
    let relay = TestRelay::start_serving(dist).await?;
    let result = async {
        let run = |name: &str| only.as_deref().is_none_or(|o| o == name);
        if run("board") {
            let board = in_browser("board", async |b| board(b, &relay.url(), deals).await).await?;
            println!("{board}");
        }
        if run("list") {
            let list = in_browser("list", async |b| list(b, &relay.url(), people).await).await?;
            println!("{list}");
        }
        if run("import") {
            let import = in_browser("import", async |b| {
                import(b, &relay.url(), import_rows).await
            })
            .await?;
            println!("{import}");
        }
        Ok(())
    }
    .await;
    let stopped = relay.shutdown().await;
    result.and(stopped)
}

async fn in_browser<T>(name: &str, f: impl AsyncFnOnce(&Browser) -> Result<T>) -> Result<T> {
    let browser = Browser::launch().await?;
    browser
        .client()
        .update_timeouts(TimeoutConfiguration::new(
            Some(Duration::from_secs(600)),
            Some(Duration::from_secs(300)),
            Some(Duration::ZERO),
        ))
        .await?;
    browser.set_viewport(1440, 900).await?;
    match f(&browser).await {
        Ok(v) => {
            browser.close().await?;
            Ok(v)
        }
        Err(e) => Err(browser
            .finish(&format!("crm_bench-{name}"), Err(e))
            .await
            .unwrap_err()),
    }
}

async fn page(browser: &Browser, what: &str, script: &str, args: Value) -> Result<Value> {
    let value = browser
        .client()
        .execute_async(script, vec![args])
        .await
        .with_context(|| format!("running the in-page script for {what}"))?;
    if let Some(error) = value.get("error") {
        bail!("{what}: {error}");
    }
    Ok(value)
}

/// Seeds through the bench build's exports on a page that lists nothing, so the app's own
/// load does not race the seeding.
async fn seed(browser: &Browser, base: &str, call: &str) -> Result<f64> {
    browser.goto(&format!("{base}/settings")).await?;
    browser
        .wait_for(&tid("page-settings"), LOAD_TIMEOUT)
        .await?;
    let ms = page(
        browser,
        "seeding",
        page_js!(
            r#"
await until('the bench exports', () => window.__kithBench);
return await window.__kithBench[args.call](args.count);
"#
        ),
        json!({ "call": call.split('(').next().unwrap_or(call), "count": call
            .split(['(', ')'])
            .nth(1)
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0) }),
    )
    .await?;
    ms.as_f64().context("seeding returned no time")
}

fn stats(values: &Value) -> (f64, f64, f64) {
    let mut v: Vec<f64> = values
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let p = |q: f64| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    (p(0.5), p(0.95), v[v.len() - 1])
}

fn line(label: &str, app: (f64, f64, f64), base: (f64, f64, f64)) -> String {
    format!(
        "  {label:<44} p50 {:>7.1} ms  p95 {:>7.1} ms  max {:>7.1} ms   baseline p50 {:>6.1} ms   ratio {:>5.1}×",
        app.0,
        app.1,
        app.2,
        base.0,
        app.0 / base.0
    )
}

async fn board(browser: &Browser, base: &str, deals: u32) -> Result<String> {
    let seeded = seed(browser, base, &format!("kith_bench_seed_deals({deals})")).await?;
    let mut out = format!("Deals board, {deals} open deals (seeded in {seeded:.0} ms)\n");
    let mut cold = Vec::new();
    for _ in 0..3 {
        browser.goto(&format!("{base}/deals")).await?;
        let r = page(
            browser,
            "board first paint",
            page_js!(
                r#"
await until('cards', () => document.querySelectorAll('[data-testid=deal-card]').length > 0, 120000);
const painted = await afterNextPaint();
return { painted, cards: document.querySelectorAll('[data-testid=deal-card]').length,
  longest: Math.max(0, ...longTasksSince(0)),
  totals: [...document.querySelectorAll('[data-testid=kanban-total]')].map((e) => e.textContent) };
"#
            ),
            json!({}),
        )
        .await?;
        cold.push(r);
    }
    let painted = json!(
        cold.iter()
            .map(|r| r["painted"].clone())
            .collect::<Vec<_>>()
    );
    let longest = json!(
        cold.iter()
            .map(|r| r["longest"].clone())
            .collect::<Vec<_>>()
    );
    out += &format!(
        "  board painted from navigation start: p50 {:.0} ms (3 cold loads; {} cards in the DOM; longest main-thread task p50 {:.0} ms)\n",
        stats(&painted).0,
        cold[0]["cards"],
        stats(&longest).0,
    );
    let moves = page(
        browser,
        "keyboard moves and drag frames",
        page_js!(
            r#"
const columns = () => [...document.querySelectorAll('[data-testid=kanban-column]')];
const key = (el, k) => el.dispatchEvent(new KeyboardEvent('keydown', { key: k, code: k === ' ' ? 'Space' : k, bubbles: true, cancelable: true }));
const moveTimes = [];
for (let i = 0; i < 20; i++) {
  const from = columns()[i % 2];
  const card = from.querySelector('[data-testid=deal-card]');
  const id = card.dataset.id;
  card.focus();
  key(card, ' ');
  key(document.activeElement || card, i % 2 === 0 ? 'ArrowRight' : 'ArrowLeft');
  const t0 = performance.now();
  key(document.activeElement || card, ' ');
  const target = columns()[(i + 1) % 2];
  await until('the moved card', () => target.querySelector(`[data-testid=deal-card][data-id="${id}"]`), 10000);
  moveTimes.push((await afterNextPaint()) - t0);
}
// Pointer drag: each move's frame, from the event to the end of its frame.
const frames = [];
const card = columns()[0].querySelector('[data-testid=deal-card]');
const r = card.getBoundingClientRect();
const opts = (x, y) => ({ bubbles: true, cancelable: true, pointerId: 7, pointerType: 'mouse', isPrimary: true, clientX: x, clientY: y, button: 0, buttons: 1 });
card.dispatchEvent(new PointerEvent('pointerdown', opts(r.x + 20, r.y + 10)));
for (let i = 1; i <= 40; i++) {
  const t0 = performance.now();
  (document.elementFromPoint(r.x + 20 + i * 12, r.y + 10) || card).dispatchEvent(new PointerEvent('pointermove', opts(r.x + 20 + i * 12, r.y + 10)));
  card.dispatchEvent(new PointerEvent('pointermove', opts(r.x + 20 + i * 12, r.y + 10)));
  frames.push((await afterNextPaint()) - t0);
}
card.dispatchEvent(new PointerEvent('pointerup', opts(r.x + 500, r.y + 10)));
await afterNextPaint();

// Baseline: the same number of cards as plain DOM, then a card moved between columns.
const host = document.createElement('div');
host.style.cssText = 'position:fixed;inset:0;display:flex;overflow:auto;background:#fff;z-index:9999';
document.body.appendChild(host);
const count = document.querySelectorAll('[data-testid=deal-card]').length;
const t0 = performance.now();
const cols = [];
for (let c = 0; c < 5; c++) { const col = document.createElement('div'); col.style.cssText = 'width:280px;flex:none'; host.appendChild(col); cols.push(col); }
for (let i = 0; i < count; i++) {
  const el = document.createElement('div');
  el.tabIndex = 0;
  el.innerHTML = `<strong>Deal ${i}</strong><div>Company ${i}</div><div>12,500 EUR</div><div>2027-01-01</div>`;
  cols[i % 5].appendChild(el);
}
const basePaint = (await afterNextPaint()) - t0;
const baseMoves = [];
for (let i = 0; i < 20; i++) {
  const t = performance.now();
  cols[(i + 1) % 2].prepend(cols[i % 2].firstChild);
  baseMoves.push((await afterNextPaint()) - t);
}
host.remove();
const idle = [];
for (let i = 0; i < 20; i++) { const t0 = performance.now(); idle.push((await afterNextPaint()) - t0); }
return { moveTimes, frames, basePaint, baseMoves, idle };
"#
        ),
        json!({}),
    )
    .await?;
    out += &format!(
        "  baseline: {} plain DOM cards painted in {:.0} ms\n",
        cold[0]["cards"],
        moves["basePaint"].as_f64().unwrap_or(f64::NAN)
    );
    out += &line(
        "keyboard move (Space, Arrow, Space) → painted",
        stats(&moves["moveTimes"]),
        stats(&moves["baseMoves"]),
    );
    out += "\n";
    out += &line(
        "pointer drag: one move → its frame (vs idle)",
        stats(&moves["frames"]),
        stats(&moves["idle"]),
    );
    Ok(out)
}

async fn list(browser: &Browser, base: &str, people: u32) -> Result<String> {
    let seeded = seed(browser, base, &format!("kith_bench_seed({people})")).await?;
    browser.goto(&format!("{base}/people")).await?;
    browser.wait_for(&tid("list-row"), LOAD_TIMEOUT).await?;
    let r = page(
        browser,
        "list filter, sort and scroll",
        page_js!(
            r#"
const count = () => document.querySelector('[data-testid=list-count]').textContent;
const sortTimes = [];
for (let i = 0; i < 6; i++) {
  const header = document.querySelectorAll('[role=columnheader][aria-sort] button')[i % 3];
  if (!header) break;
  const before = document.querySelector('[data-testid=list-row]').textContent;
  const t0 = performance.now();
  header.click();
  await until('a new order', () => document.querySelector('[data-testid=list-row]').textContent !== before || i > 2, 20000);
  sortTimes.push((await afterNextPaint()) - t0);
}
const set = (el, v) => { el.value = v; el.dispatchEvent(new Event('input', { bubbles: true })); el.dispatchEvent(new Event('change', { bubbles: true })); };
const filterTimes = [];
for (const city of ['London', 'Lagos', 'Lima']) {
  const clear = document.querySelector('[data-testid=filter-remove]');
  if (clear) { clear.click(); await afterNextPaint(); }
  document.querySelector('[data-testid=filter-add]').click();
  await until('a filter row', () => document.querySelector('[data-testid=filter-row]'));
  set(document.querySelector('[data-testid=filter-field]'), 'city');
  await afterNextPaint();
  set(document.querySelector('[data-testid=filter-op]'), 'is');
  await afterNextPaint();
  const before = count();
  const t0 = performance.now();
  set(document.querySelector('[data-testid=filter-value]'), city);
  await until('the filtered count', () => count() !== before, 20000);
  filterTimes.push((await afterNextPaint()) - t0);
}
const idle = [];
for (let i = 0; i < 20; i++) { const t0 = performance.now(); idle.push((await afterNextPaint()) - t0); }
const scroller = document.querySelector('[data-testid=list-viewport]');
const scrollFrames = [];
if (scroller) {
  for (let i = 0; i < 60; i++) {
    const t0 = performance.now();
    scroller.scrollTop += 900;
    scroller.dispatchEvent(new Event('scroll'));
    scrollFrames.push((await afterNextPaint()) - t0);
  }
}
const hay = window.__kithBench.kith_bench_haystacks(args.people);
const baseSort = [];
for (let i = 0; i < 6; i++) {
  const t0 = performance.now();
  const hits = hay.filter((h) => h.includes('london') && h.includes('vip'));
  hits.sort((a, b) => a.localeCompare(b));
  baseSort.push(performance.now() - t0);
}
return { sortTimes, filterTimes, scrollFrames, baseSort, idle, count: count() };
"#
        ),
        json!({ "people": people }),
    )
    .await?;
    let mut out = format!(
        "People list, {people} people (seeded in {seeded:.0} ms; list says “{}”)\n",
        r["count"].as_str().unwrap_or_default()
    );
    out += &line(
        "sort by a column header → painted",
        stats(&r["sortTimes"]),
        stats(&r["baseSort"]),
    );
    out += "\n";
    out += &line(
        "filter “city is …” typed → painted",
        stats(&r["filterTimes"]),
        stats(&r["baseSort"]),
    );
    out += "\n";
    out += &line(
        "scroll 900 px → frame painted (vs an idle frame)",
        stats(&r["scrollFrames"]),
        stats(&r["idle"]),
    );
    Ok(out)
}

/// A HubSpot-style contacts export of `rows` rows imported through the import page (pick →
/// preview → dry run → import → undo), against plain JS parsing the same text and putting the
/// same rows into IndexedDB in transactions of the same size.
async fn import(browser: &Browser, base: &str, rows: u32) -> Result<String> {
    browser
        .goto(&format!("{base}/import?target=people"))
        .await?;
    browser.wait_for(&tid("page-import"), LOAD_TIMEOUT).await?;
    // Four scripts, each well inside the script timeout; state is kept on `window.__import`.
    page(
        browser,
        "import: pick, preview and dry run",
        page_js!(
            r#"
const rows = args.rows;
const lines = ['Record ID,First Name,Last Name,Email,Phone Number,Company Name,Job Title,Lifecycle Stage,Create Date'];
for (let i = 0; i < rows; i++) {
  lines.push(`${1000 + i},Ada${i},Lovelace${i},ada${i}@bench.example,+44 20 7946 ${String(i % 10000).padStart(4, '0')},Analytical ${i % 5000},Engineer,salesqualifiedlead,2024-01-0${1 + i % 9}`);
}
const csv = lines.join('\n') + '\n';
const tid = (id) => document.querySelector(`[data-testid="${id}"]`);
const text = (id) => { const el = tid(id); return el ? el.textContent : null; };
await until('the import page', () => tid('import-file'));
const t0 = performance.now();
const input = tid('import-file');
const dt = new DataTransfer();
dt.items.add(new File([csv], 'hubspot-contacts.csv', { type: 'text/csv' }));
input.files = dt.files;
input.dispatchEvent(new Event('change', { bubbles: true }));
await until('the preview', () => tid('import-map-3'), 120000);
const t1 = await afterNextPaint();
await until('dry run enabled', () => !tid('import-dry-run').disabled, 60000);
tid('import-dry-run').click();
const summary = await until('the dry run', () => text('import-summary'), 500000);
const t2 = await afterNextPaint();
window.__import = { csv, summary, t: [t0, t1, t2] };
return true;
"#
        ),
        json!({ "rows": rows }),
    )
    .await?;
    page(
        browser,
        "import: the import",
        page_js!(
            r#"
const tid = (id) => document.querySelector(`[data-testid="${id}"]`);
const text = (id) => { const el = tid(id); return el ? el.textContent : null; };
await until('import enabled', () => !tid('import-run').disabled, 60000);
tid('import-run').click();
await until('the confirmation', () => tid('import-confirm'), 60000);
tid('import-confirm').click();
const t3 = performance.now();
window.__import.result = await until('the import', () => tid('import-result') && tid('import-result').querySelector('p').textContent, 550000);
const t4 = await afterNextPaint();
window.__import.t.push(t3, t4);
return true;
"#
        ),
        json!({}),
    )
    .await?;
    page(
        browser,
        "import: undo",
        page_js!(
            r#"
const tid = (id) => document.querySelector(`[data-testid="${id}"]`);
const text = (id) => { const el = tid(id); return el ? el.textContent : null; };
await until('undo enabled', () => !tid('import-undo').disabled, 60000);
tid('import-undo').click();
const t5 = performance.now();
await until('the undo', () => (text('import-message') || '').includes('Import undone'), 550000);
const t6 = await afterNextPaint();
window.__import.t.push(t5, t6);
return true;
"#
        ),
        json!({}),
    )
    .await?;
    let r = page(
        browser,
        "import: baseline",
        page_js!(
            r#"
const { csv, summary, result, t } = window.__import;
const [t0, t1, t2, t3, t4, t5, t6] = t;
const longest = (a, b) => Math.max(0, ...window.__kithPerf.longtasks
  .filter((e) => e.start >= a && e.start <= b).map((e) => e.duration));
const over = (a, b) => window.__kithPerf.longtasks
  .filter((e) => e.start >= a && e.start <= b && e.duration > 50)
  .map((e) => `${Math.round(e.duration)} ms at ${((e.start - a) / 1000).toFixed(1)} s`);
// Baseline: the same text split into rows and cells by plain JS, each row put into IndexedDB
// as an object in transactions of 100 rows.
const b0 = performance.now();
const db = await new Promise((resolve, reject) => {
  const req = indexedDB.open('bench-import-baseline-' + Date.now(), 1);
  req.onupgradeneeded = () => req.result.createObjectStore('rows');
  req.onsuccess = () => resolve(req.result);
  req.onerror = () => reject(req.error);
});
const all = csv.split('\n');
const header = all[0].split(',');
for (let at = 1; at < all.length; at += 100) {
  await new Promise((resolve, reject) => {
    const tx = db.transaction('rows', 'readwrite', { durability: 'strict' });
    const store = tx.objectStore('rows');
    for (let i = at; i < Math.min(at + 100, all.length); i++) {
      if (!all[i]) continue;
      const cells = all[i].split(',');
      const row = {};
      header.forEach((h, j) => { row[h] = cells[j]; });
      store.put(row, i);
    }
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
}
const b1 = performance.now();
db.close();
return {
  summary, result,
  preview: t1 - t0, dry: t2 - t1, run: t4 - t3, undo: t6 - t5, baseline: b1 - b0,
  longest: { preview: longest(t0, t1), dry: longest(t1, t2), run: longest(t3, t4), undo: longest(t5, t6) },
  over: { preview: over(t0, t1), dry: over(t1, t2), run: over(t3, t4), undo: over(t5, t6) },
};
"#
        ),
        json!({}),
    )
    .await?;
    let ms = |k: &str| r[k].as_f64().unwrap_or(f64::NAN);
    let long = |k: &str| r["longest"][k].as_f64().unwrap_or(f64::NAN);
    let over = |k: &str| {
        let tasks: Vec<&str> = r["over"][k]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        match tasks.len() {
            0 => "none over 50 ms".to_string(),
            n => format!("{n} over 50 ms: {}", tasks.join(", ")),
        }
    };
    let per_s = |k: &str| f64::from(rows) / (ms(k) / 1000.0);
    let mut out = format!(
        "CSV import, {rows} HubSpot-style rows (dry run: “{}”; {})\n",
        r["summary"].as_str().unwrap_or_default(),
        r["result"].as_str().unwrap_or_default().trim()
    );
    for (label, key) in [
        ("file read and previewed", "preview"),
        ("dry run (parse, match, plan)", "dry"),
        ("import (write every record)", "run"),
        ("undo of the whole import", "undo"),
    ] {
        out += &format!(
            "  {label:<30} {:>8.0} ms  {:>7.0} rows/s   longest main-thread task {:>4.0} ms ({})\n",
            ms(key),
            per_s(key),
            long(key),
            over(key)
        );
    }
    out += &format!(
        "  baseline: plain JS split + IndexedDB puts of the same rows, 100 per transaction: {:.0} ms ({:.0} rows/s); import ÷ baseline {:.1}×, dry run + import ÷ baseline {:.1}×",
        ms("baseline"),
        per_s("baseline"),
        ms("run") / ms("baseline"),
        (ms("dry") + ms("run")) / ms("baseline")
    );
    Ok(out)
}
