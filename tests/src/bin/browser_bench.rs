//! `cargo xtask bench` (browser part): the app in headless Chromium with 10k and 100k people
//! stored — cold start to first rows painted, search keystrokes, opening a record, an edit made
//! durable, memory — each beside a baseline measured in the same page, and the budget from
//! docs/design.md. Benchmarks print; they never fail on slowness, only when something stops
//! working (rows never appear, a save never completes…).
//!
//! It needs the bench build (`--features bench`, see `app/src/bench.rs` and
//! `tests/bench/head.html`): `cargo xtask bench` builds it into `target/bench/dist` and runs
//! this with `--dist` pointing there.
//!
//! Every latency is timed inside the page (`performance.now()`, observers, animation frames),
//! never across WebDriver round trips.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use fantoccini::wd::TimeoutConfiguration;
use kith_e2e::{Browser, Seen, TestRelay, poll, tid};
use serde_json::{Value, json};

const USAGE: &str = "\
usage: browser_bench --dist DIR [--sizes 10000,100000] [--runs N] [--cold-runs N] [--download-gzip BYTES]

  --dist DIR             the bench build (cargo xtask bench builds target/bench/dist)
  --sizes LIST           how many people to store, one fresh browser profile each
  --runs N               samples of each latency (search, open, edit, baselines); default 15
  --cold-runs N          measured cold starts per size (after one warm-up load); default 5
  --download-gzip BYTES  the shipped app's wasm + js + css, gzip (printed with the figures)";

/// What the bench types, last keystroke measured: few hits, a common name, every person, none.
const QUERIES: &[(&str, &str)] = &[
    ("4242", "hit-few"),
    ("maria", "hit-some"),
    ("example", "hit-all"),
    ("zzz-no-match", "no match"),
];

/// Waits for the app's data to show up: generous, as 100k people take a while.
const LOAD_TIMEOUT: Duration = Duration::from_secs(180);
/// Seeding 100k records builds 110k Automerge documents in wasm.
const SEED_TIMEOUT: Duration = Duration::from_secs(1800);

struct Config {
    dist: PathBuf,
    sizes: Vec<u32>,
    runs: usize,
    cold_runs: usize,
    download_gzip: Option<u64>,
}

impl Config {
    fn from_args() -> Result<Self> {
        let mut config = Config {
            dist: PathBuf::new(),
            sizes: vec![10_000, 100_000],
            runs: 15,
            cold_runs: 5,
            download_gzip: None,
        };
        let mut dist = None;
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = || {
                args.next()
                    .with_context(|| format!("{arg} needs a value\n{USAGE}"))
            };
            match arg.as_str() {
                "--dist" => dist = Some(PathBuf::from(value()?)),
                "--sizes" => {
                    config.sizes = value()?
                        .split(',')
                        .map(|s| s.trim().replace('_', "").parse::<u32>())
                        .collect::<Result<_, _>>()
                        .context("--sizes takes numbers separated by commas")?;
                }
                "--runs" => config.runs = value()?.parse().context("--runs")?,
                "--cold-runs" => config.cold_runs = value()?.parse().context("--cold-runs")?,
                "--download-gzip" => {
                    config.download_gzip = Some(value()?.parse().context("--download-gzip")?);
                }
                "-h" | "--help" => {
                    println!("{USAGE}");
                    std::process::exit(0);
                }
                other => bail!("unknown argument {other:?}\n{USAGE}"),
            }
        }
        config.dist = match dist {
            Some(dir) => dir,
            None => kith_e2e::dist_dir()?,
        };
        ensure!(
            config.dist.join("index.html").is_file(),
            "{} has no index.html: build it with `cargo xtask bench`",
            config.dist.display()
        );
        ensure!(
            std::fs::read_to_string(config.dist.join("index.html"))?.contains("__kithBench"),
            "{} is not a bench build (its index.html does not load the bench exports): \
             run `cargo xtask bench`",
            config.dist.display()
        );
        ensure!(
            config.runs >= 1 && config.cold_runs >= 1,
            "--runs and --cold-runs must be at least 1"
        );
        Ok(config)
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<()> {
    let config = Config::from_args()?;
    let relay = TestRelay::start_serving(config.dist.clone()).await?;
    let result = run(&config, &relay).await;
    let stopped = relay.shutdown().await;
    result.and(stopped)
}

async fn run(config: &Config, relay: &TestRelay) -> Result<()> {
    println!(
        "serving {} from {}; {} samples per latency, {} cold starts per size",
        config.dist.display(),
        relay.url(),
        config.runs,
        config.cold_runs
    );
    let blank = in_browser("blank", async |b| measure_blank(config, relay, b).await).await?;
    let mut sizes = Vec::new();
    for &count in &config.sizes {
        let name = format!("{count}-people");
        sizes.push(in_browser(&name, async |b| measure_size(config, relay, b, count).await).await?);
    }
    report(config, &blank, &sizes);
    Ok(())
}

/// Runs `f` in a fresh Chromium (fresh profile); on failure, adds a screenshot and the console.
async fn in_browser<T>(name: &str, f: impl AsyncFnOnce(&Browser) -> Result<T>) -> Result<T> {
    let browser = Browser::launch().await?;
    browser
        .client()
        .update_timeouts(TimeoutConfiguration::new(
            Some(Duration::from_secs(600)),
            Some(Duration::from_secs(300)),
            Some(Duration::ZERO),
        ))
        .await
        .context("setting WebDriver timeouts")?;
    let result = f(&browser).await;
    match result {
        Ok(value) => {
            browser.close().await?;
            Ok(value)
        }
        Err(e) => {
            let test = format!("browser_bench-{name}");
            let e = browser.finish(&test, Err(e)).await.unwrap_err();
            Err(e)
        }
    }
}

/// Runs an async script in the page: `arguments[0]` is `args`; the script calls `done(value)`
/// (`arguments[arguments.length - 1]`), or `done({ error })`, which becomes an `Err`.
async fn page(browser: &Browser, what: &str, script: &str, args: Value) -> Result<Value> {
    let value = browser
        .client()
        .execute_async(script, vec![args])
        .await
        .with_context(|| format!("running the in-page script for {what}"))?;
    if let Some(error) = value.get("error") {
        bail!(
            "{what}: {}",
            error
                .as_str()
                .map_or_else(|| error.to_string(), str::to_string)
        );
    }
    Ok(value)
}

fn f64_of(value: &Value, key: &str) -> Result<f64> {
    value[key]
        .as_f64()
        .with_context(|| format!("`{key}` missing from {value}"))
}

fn f64s(value: &Value) -> Result<Vec<f64>> {
    value
        .as_array()
        .with_context(|| format!("not an array: {value}"))?
        .iter()
        .map(|v| v.as_f64().with_context(|| format!("not a number: {v}")))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------------------------

/// Samples of one figure, in its unit (ms, unless said otherwise).
#[derive(Debug, Clone, Default)]
struct Samples(Vec<f64>);

impl Samples {
    fn sorted(&self) -> Vec<f64> {
        let mut v = self.0.clone();
        v.sort_by(f64::total_cmp);
        v
    }

    fn median(&self) -> f64 {
        let v = self.sorted();
        match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    }

    /// Nearest-rank 95th percentile (the maximum below 20 samples).
    fn p95(&self) -> f64 {
        let v = self.sorted();
        if v.is_empty() {
            return f64::NAN;
        }
        let rank = ((0.95 * v.len() as f64).ceil() as usize).clamp(1, v.len());
        v[rank - 1]
    }

    fn max(&self) -> f64 {
        self.0.iter().copied().fold(f64::NAN, f64::max)
    }
}

// ---------------------------------------------------------------------------------------------
// Measurements
// ---------------------------------------------------------------------------------------------

/// One cold start of `/people`, times from navigation start.
#[derive(Debug, Clone)]
struct ColdStart {
    /// First list rows painted; `None` with no records.
    rows: Option<f64>,
    /// How `rows` was measured.
    source: String,
    /// The first rows inserted into the DOM, and the end of the frame that rendered them.
    rows_in_dom: Option<f64>,
    rows_rendered: Option<f64>,
    /// Long tasks until the rows: (start, duration).
    tasks: Vec<(f64, f64)>,
    /// First contentful paint: the app shell.
    fcp: f64,
    /// The wasm module fully received.
    wasm_received: f64,
    controlled: bool,
    longest_task: f64,
    long_tasks: usize,
    long_task_total: f64,
}

#[derive(Debug, Clone, Copy)]
struct Memory {
    js_heap: f64,
    wasm: f64,
    /// `performance.memory.usedJSHeapSize`: coarse (bucketed) unless Chromium runs with
    /// `--enable-precise-memory-info`; shown for reference only.
    perf_memory: Option<f64>,
}

impl Memory {
    fn total(&self) -> f64 {
        self.js_heap + self.wasm
    }
}

struct Blank {
    cold: Vec<ColdStart>,
    memory: Memory,
}

struct Search {
    query: &'static str,
    kind: &'static str,
    hits: String,
    painted: Samples,
    handler: Samples,
    wasm_only: f64,
    scan: Samples,
}

#[derive(Default)]
struct Opened {
    painted: Samples,
    shown: Samples,
    /// Opens that loaded a whole new page instead of routing inside the app.
    reloads: usize,
}

struct OneOpen {
    href: String,
    shown: f64,
    painted: f64,
    same_document: bool,
}

struct SizeResult {
    count: u32,
    summaries: f64,
    seed_ms: f64,
    seed_write_ms: f64,
    seed_baseline_ms: f64,
    avg_snapshot: f64,
    avg_summary: f64,
    cold: Vec<ColdStart>,
    get_all: Samples,
    /// open store, read summaries, decode, build directory, list all sorted.
    breakdown: Vec<f64>,
    memory: Memory,
    search: Vec<Search>,
    /// Through the name link, then through the row.
    open: Vec<(&'static str, Opened)>,
    raw_get: Samples,
    edit: Samples,
    raw_put: Samples,
}

async fn measure_blank(config: &Config, relay: &TestRelay, browser: &Browser) -> Result<Blank> {
    println!("\n-- blank app (no records)");
    let people = format!("{}/people", relay.url());
    browser.goto(&people).await?;
    browser.wait_for(&tid("empty-state"), LOAD_TIMEOUT).await?;
    browser
        .wait_for_offline_shell(Duration::from_secs(60))
        .await?;
    let cold = cold_starts(browser, &people, "empty", config.cold_runs).await?;
    let memory = memory(browser).await?;
    Ok(Blank { cold, memory })
}

async fn measure_size(
    config: &Config,
    relay: &TestRelay,
    browser: &Browser,
    count: u32,
) -> Result<SizeResult> {
    println!("\n-- {count} people");
    let people = format!("{}/people", relay.url());
    browser.goto(&people).await?;
    browser.wait_for(&tid("empty-state"), LOAD_TIMEOUT).await?;
    wait_for_exports(browser).await?;

    // Seed.
    let started = Instant::now();
    browser
        .eval(&format!(
            "window.__kithSeed = null;
             window.__kithBench.kith_bench_seed({count}).then(
               (ms) => {{ window.__kithSeed = {{ ms, stats: Array.from(window.__kithBench.kith_bench_seed_stats()) }}; }},
               (e) => {{ window.__kithSeed = {{ error: String(e) }}; }});"
        ))
        .await?;
    let seeded = poll(
        &format!("seeding {count} people"),
        SEED_TIMEOUT,
        async || match browser.eval("return window.__kithSeed;").await {
            Ok(Value::Null) => Ok(Seen::Not(format!(
                "still seeding after {:.0?}",
                started.elapsed()
            ))),
            Ok(value) => Ok(Seen::Done(value)),
            // The page is busy building records; WebDriver may give up on a look.
            Err(e) => Ok(Seen::Not(format!("{e:#}"))),
        },
    )
    .await?;
    if let Some(error) = seeded.get("error") {
        bail!("seeding {count} people failed: {error}");
    }
    let seed_ms = f64_of(&seeded, "ms")?;
    let stats = f64s(&seeded["stats"])?;
    ensure!(stats.len() == 4, "unexpected seed stats {stats:?}");
    let (seed_write_ms, records) = (stats[0], stats[1]);
    let (avg_snapshot, avg_summary) = (stats[2] / records, stats[3] / records);
    println!(
        "   seeded {records} records in {:.1} s ({:.1} s of it in IndexedDB); \
         average snapshot {avg_snapshot:.0} B, summary {avg_summary:.0} B",
        seed_ms / 1e3,
        seed_write_ms / 1e3
    );
    let baseline = page(
        browser,
        "the raw IndexedDB seed baseline",
        SEED_BASELINE_JS,
        json!({ "records": records, "snapshot": avg_snapshot.round(), "summary": avg_summary.round(), "batch": 2000 }),
    )
    .await?;
    let seed_baseline_ms = f64_of(&baseline, "ms")?;

    // Cold starts: the service worker is installed and controls the page first.
    browser.reload().await?;
    browser
        .wait_for_offline_shell(Duration::from_secs(60))
        .await?;
    let cold = cold_starts(browser, &people, "rows", config.cold_runs).await?;
    // Measured in the page of the last cold start, before anything else runs in it.
    let memory = memory(browser).await?;

    let get_all = Samples(f64s(
        &page(
            browser,
            "raw getAll() of summaries",
            GET_ALL_JS,
            json!({ "runs": config.cold_runs }),
        )
        .await?["times"],
    )?);
    let queries: Vec<&str> = QUERIES.iter().map(|(q, _)| *q).collect();
    let breakdown = page(
        browser,
        "the load breakdown",
        "const done = arguments[arguments.length - 1];
         window.__kithBench.kith_bench_load_breakdown(arguments[0]).then(
           (t) => done({ times: Array.from(t) }), (e) => done({ error: String(e) }));",
        json!(queries),
    )
    .await?;
    let breakdown = f64s(&breakdown["times"])?;
    ensure!(
        breakdown.len() == 5 + QUERIES.len() + 1,
        "unexpected breakdown {breakdown:?}"
    );
    let summaries = breakdown[breakdown.len() - 1];

    // Search keystrokes, and a plain JS scan of the same number of strings.
    let mut search = Vec::new();
    for (i, &(query, kind)) in QUERIES.iter().enumerate() {
        let typed = page(
            browser,
            &format!("searching {query:?}"),
            SEARCH_JS,
            json!({ "query": query, "runs": config.runs }),
        )
        .await?;
        let scan = page(
            browser,
            &format!("scanning for {query:?}"),
            SCAN_JS,
            json!({ "query": query, "runs": config.runs, "count": count }),
        )
        .await?;
        search.push(Search {
            query,
            kind,
            hits: typed["count"].as_str().unwrap_or("?").replace(" of ", "/"),
            painted: Samples(f64s(&typed["painted"])?),
            handler: Samples(f64s(&typed["handler"])?),
            wasm_only: breakdown[5 + i],
            scan: Samples(f64s(&scan["times"])?),
        });
    }

    // Opening records: a different row each time (none of them opened before), through the
    // name link (what a person clicks) and through the row (the row's own click handler).
    let mut open = Vec::new();
    let mut ids = Vec::new();
    for via in ["link", "row"] {
        let mut opened = Opened::default();
        for run in 0..config.runs {
            let one = open_record(browser, run, via).await?;
            opened.painted.0.push(one.painted);
            opened.shown.0.push(one.shown);
            opened.reloads += usize::from(!one.same_document);
            if via == "link" {
                ids.push(one.href.rsplit('/').next().unwrap_or_default().to_string());
            }
        }
        println!(
            "   open via {via}: {} median to painted; {} of {} opens loaded a new page",
            fmt_value(opened.painted.median(), "ms"),
            opened.reloads,
            config.runs
        );
        open.push((via, opened));
    }
    let raw_get = Samples(f64s(
        &page(browser, "raw record get", RAW_GET_JS, json!({ "ids": ids })).await?["times"],
    )?);

    // Edits on the record page we are on.
    let edit = Samples(f64s(
        &page(
            browser,
            "editing a title until it is saved",
            EDIT_JS,
            json!({ "runs": config.runs, "timeout": 10_000 }),
        )
        .await?["times"],
    )?);
    let raw_put = Samples(f64s(
        &page(
            browser,
            "raw durable put",
            RAW_PUT_JS,
            json!({ "runs": config.runs }),
        )
        .await?["times"],
    )?);

    Ok(SizeResult {
        count,
        summaries,
        seed_ms,
        seed_write_ms,
        seed_baseline_ms,
        avg_snapshot,
        avg_summary,
        cold,
        get_all,
        breakdown: breakdown[..5].to_vec(),
        memory,
        search,
        open,
        raw_get,
        edit,
        raw_put,
    })
}

/// Opens the record of list row `index` via its name link or the row; back to the list first
/// if needed.
async fn open_record(browser: &Browser, index: usize, via: &str) -> Result<OneOpen> {
    if browser.path().await? != "/people" {
        browser.eval("history.back();").await?;
    }
    browser
        .wait_for_js(
            "the list to show enough rows",
            &format!(
                "return location.pathname === '/people' && !!window.__kithPerf && \
                 document.querySelectorAll('[data-testid=list-row] .row-link').length > {index};"
            ),
            LOAD_TIMEOUT,
        )
        .await?;
    let clicked = browser
        .client()
        .execute(OPEN_JS, vec![json!({ "index": index, "via": via })])
        .await
        .context("clicking a row")?;
    if let Some(error) = clicked.get("error") {
        bail!("opening a record: {error}");
    }
    let t0 = f64_of(&clicked, "t0")?;
    let href = clicked["href"].as_str().unwrap_or_default().to_string();
    let args = json!({ "marker": clicked["marker"], "name": clicked["name"], "href": href });
    let outcome = poll(
        &format!(
            "record {} to show {} (opened via {via})",
            href, clicked["name"]
        ),
        LOAD_TIMEOUT,
        async || match browser
            .client()
            .execute(OPENED_JS, vec![args.clone()])
            .await
        {
            Ok(Value::Null) => Ok(Seen::Not(format!(
                "page {}",
                browser.path().await.unwrap_or_default()
            ))),
            Ok(value) => Ok(Seen::Done(value)),
            // A new page is loading.
            Err(e) => Ok(Seen::Not(format!("{e}"))),
        },
    )
    .await?;
    let same_document = outcome["sameDocument"] == true;
    let (shown, painted) = (f64_of(&outcome, "shown")?, f64_of(&outcome, "painted")?);
    Ok(if same_document {
        OneOpen {
            href,
            shown,
            painted,
            same_document,
        }
    } else {
        OneOpen {
            href,
            shown: shown - t0,
            painted: painted - t0,
            same_document,
        }
    })
}

async fn wait_for_exports(browser: &Browser) -> Result<()> {
    browser
        .wait_for_js(
            "the bench exports (window.__kithBench) to be loaded",
            "return !!(window.__kithBench && window.__kithBench.kith_bench_seed);",
            LOAD_TIMEOUT,
        )
        .await
}

/// One warm-up load, then `runs` measured loads of `url`, each from `about:blank`.
async fn cold_starts(
    browser: &Browser,
    url: &str,
    want: &str,
    runs: usize,
) -> Result<Vec<ColdStart>> {
    let mut out = Vec::new();
    for run in 0..=runs {
        browser.goto("about:blank").await?;
        browser.goto(url).await?;
        let seen = page(
            browser,
            "a cold start",
            COLD_JS,
            json!({ "want": want, "timeout": LOAD_TIMEOUT.as_millis() as u64 }),
        )
        .await?;
        let start = ColdStart {
            rows: seen["rows"].as_f64(),
            source: seen["source"].as_str().unwrap_or_default().to_string(),
            rows_in_dom: seen["rowsInDom"].as_f64(),
            rows_rendered: seen["rowsRendered"].as_f64(),
            tasks: seen["tasks"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|t| (t[0].as_f64().unwrap_or(0.0), t[1].as_f64().unwrap_or(0.0)))
                        .collect()
                })
                .unwrap_or_default(),
            fcp: f64_of(&seen, "fcp")?,
            wasm_received: f64_of(&seen, "wasm")?,
            controlled: seen["controlled"] == true,
            longest_task: f64_of(&seen, "longest")?,
            long_tasks: seen["longTasks"].as_u64().unwrap_or_default() as usize,
            long_task_total: f64_of(&seen, "longTotal")?,
        };
        let tasks: Vec<String> = start
            .tasks
            .iter()
            .map(|(at, ms)| format!("{ms:.0}@{at:.0}"))
            .collect();
        println!(
            "   {} load: first rows {}, first paint {:.0} ms, wasm received {:.0} ms, \
             {} long tasks ({:.0} ms, longest {:.0} ms{}){}",
            if run == 0 { "warm-up" } else { "cold" },
            start.rows.map_or_else(
                || "-".to_string(),
                |r| format!(
                    "{r:.0} ms [{}; in DOM {:.0}, frame rendered {:.0}]",
                    start.source,
                    start.rows_in_dom.unwrap_or(f64::NAN),
                    start.rows_rendered.unwrap_or(f64::NAN)
                )
            ),
            start.fcp,
            start.wasm_received,
            start.long_tasks,
            start.long_task_total,
            start.longest_task,
            if tasks.is_empty() {
                String::new()
            } else {
                format!("; duration@start: {}", tasks.join(" "))
            },
            if start.controlled {
                ""
            } else {
                " (no service worker)"
            }
        );
        if run > 0 {
            out.push(start);
        }
    }
    wait_for_exports(browser).await?;
    Ok(out)
}

async fn memory(browser: &Browser) -> Result<Memory> {
    browser
        .cdp("HeapProfiler.collectGarbage", json!({}))
        .await?;
    let heap = browser.cdp("Runtime.getHeapUsage", json!({})).await?;
    let wasm = browser
        .eval("return window.__kithBench.kith_bench_wasm_memory_bytes();")
        .await?;
    let perf = browser
        .eval("return performance.memory ? performance.memory.usedJSHeapSize : null;")
        .await?;
    Ok(Memory {
        js_heap: f64_of(&heap, "usedSize")?,
        wasm: wasm.as_f64().context("wasm memory size")?,
        perf_memory: perf.as_f64(),
    })
}

// ---------------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------------

/// A budget from docs/design.md: at most `limit` (in the row's unit), stated for `at` people.
#[derive(Clone, Copy)]
struct Budget {
    limit: f64,
    at: Option<u32>,
}

struct Line {
    figure: String,
    median: f64,
    p95: Option<f64>,
    unit: &'static str,
    baselines: Vec<(String, f64)>,
    budget: Option<Budget>,
}

fn fmt_value(v: f64, unit: &str) -> String {
    if v.is_nan() {
        return "-".into();
    }
    match unit {
        "ms" if v < 10.0 => format!("{v:.2} ms"),
        "ms" => format!("{v:.1} ms"),
        "s" => format!("{v:.2} s"),
        "MB" => format!("{v:.1} MB"),
        "KB" => format!("{v:.1} KB"),
        _ => format!("{v:.1} {unit}"),
    }
}

fn print_lines(count: Option<u32>, lines: &[Line]) {
    println!(
        "{:<50} {:>11} {:>10}   {:<44} {:>11} {:>7}   budget",
        "figure", "median", "p95", "baseline (same run)", "median", "ratio"
    );
    for line in lines {
        let verdict = match line.budget {
            None => String::new(),
            Some(b) => {
                let met = line.median <= b.limit;
                match (b.at, count) {
                    (Some(at), Some(n)) if at != n => {
                        format!("({})", if met { "would meet" } else { "would miss" })
                    }
                    _ => if met { "met" } else { "MISSED" }.to_string(),
                }
            }
        };
        let budget = line.budget.map_or_else(String::new, |b| {
            let at =
                b.at.map_or_else(String::new, |at| format!(" @{}k", at / 1000));
            format!(
                "≤ {}{at}",
                fmt_value(b.limit, line.unit).replace(".0 ", " ")
            )
        });
        let p95 = line
            .p95
            .map_or_else(String::new, |p| fmt_value(p, line.unit));
        let mut baselines = line.baselines.iter();
        let (bname, bvalue) = match baselines.next() {
            Some((name, v)) => (name.clone(), (fmt_value(*v, line.unit), line.median / v)),
            None => (String::new(), (String::new(), f64::NAN)),
        };
        let ratio = if bvalue.1.is_finite() {
            format!("{:.1}×", bvalue.1)
        } else {
            String::new()
        };
        println!(
            "{:<50} {:>11} {:>10}   {:<44} {:>11} {:>7}   {:<16} {}",
            line.figure,
            fmt_value(line.median, line.unit),
            p95,
            bname,
            bvalue.0,
            ratio,
            budget,
            verdict
        );
        for (name, v) in baselines {
            let ratio = line.median / v;
            println!(
                "{:<50} {:>11} {:>10}   {:<44} {:>11} {:>7}",
                "",
                "",
                "",
                name,
                fmt_value(*v, line.unit),
                if ratio.is_finite() {
                    format!("{ratio:.1}×")
                } else {
                    String::new()
                }
            );
        }
    }
}

fn cold_samples(cold: &[ColdStart], f: impl Fn(&ColdStart) -> Option<f64>) -> Samples {
    Samples(cold.iter().filter_map(f).collect())
}

fn report(config: &Config, blank: &Blank, sizes: &[SizeResult]) {
    let blank_fcp = cold_samples(&blank.cold, |c| Some(c.fcp));
    let sw = blank
        .cold
        .iter()
        .chain(sizes.iter().flat_map(|s| &s.cold))
        .all(|c| c.controlled);
    println!(
        "\nKith browser benchmarks (headless Chromium, this machine). Times in ms from the \
         action (or navigation start) inside the page; median and nearest-rank p95 of {} samples \
         ({} for cold starts).",
        config.runs, config.cold_runs
    );
    println!(
        "Cold start = a new page load of /people from about:blank with the data already in \
         IndexedDB; the service worker is {} (it serves the app from its cache) and the \
         browser's compiled-code caches are warm after a warm-up load.",
        if sw {
            "warm and controls every page"
        } else {
            "NOT controlling every page"
        }
    );
    println!(
        "Budgets: docs/design.md, \"Performance budget\"; \"(would meet)\" = a budget stated for \
         another size, shown for reference.\n"
    );

    if let Some(gzip) = config.download_gzip {
        print_lines(
            None,
            &[Line {
                figure: "app download, wasm + js + css (gzip)".into(),
                median: gzip as f64 / 1000.0,
                p95: None,
                unit: "KB",
                baselines: vec![],
                budget: Some(Budget {
                    limit: 600.0,
                    at: None,
                }),
            }],
        );
        println!();
    }
    let blank_longest = blank
        .cold
        .iter()
        .map(|c| c.longest_task)
        .fold(0.0, f64::max);
    let blank_longest = if blank_longest > 0.0 {
        fmt_value(blank_longest, "ms")
    } else {
        "none over 50 ms".to_string()
    };
    println!(
        "blank app (0 records): first paint of the shell {} median ({} p95), wasm received {} \
         median, longest task {}; memory {:.1} MB JS heap + {:.1} MB wasm",
        fmt_value(blank_fcp.median(), "ms"),
        fmt_value(blank_fcp.p95(), "ms"),
        fmt_value(
            cold_samples(&blank.cold, |c| Some(c.wasm_received)).median(),
            "ms"
        ),
        blank_longest,
        blank.memory.js_heap / 1e6,
        blank.memory.wasm / 1e6,
    );

    for s in sizes {
        let n = s.count;
        let label = |n: u32| {
            if n >= 1000 && n.is_multiple_of(1000) {
                format!("{}k", n / 1000)
            } else {
                n.to_string()
            }
        };
        println!(
            "\n== {} people ({} summaries incl. {} companies) ==",
            label(n),
            s.summaries,
            n / 10
        );
        let rows = cold_samples(&s.cold, |c| c.rows);
        let fcp = cold_samples(&s.cold, |c| Some(c.fcp));
        let mut lines = vec![
            Line {
                figure: "cold start → first rows painted".into(),
                median: rows.median(),
                p95: Some(rows.p95()),
                unit: "ms",
                baselines: vec![
                    (
                        format!("raw JS getAll() of summaries ({})", s.summaries),
                        s.get_all.median(),
                    ),
                    (
                        "blank app (0 records): first paint".into(),
                        blank_fcp.median(),
                    ),
                ],
                budget: Some(Budget {
                    limit: 300.0,
                    at: Some(10_000),
                }),
            },
            Line {
                figure: "cold start → app shell painted (FCP)".into(),
                median: fcp.median(),
                p95: Some(fcp.p95()),
                unit: "ms",
                baselines: vec![(
                    "blank app (0 records): first paint".into(),
                    blank_fcp.median(),
                )],
                budget: None,
            },
        ];
        for q in &s.search {
            lines.push(Line {
                figure: format!("search keystroke {:?} ({} hits)", q.query, q.hits),
                median: q.painted.median(),
                p95: Some(q.painted.p95()),
                unit: "ms",
                baselines: vec![(
                    format!("plain JS substring scan of {n} strings"),
                    q.scan.median(),
                )],
                budget: Some(Budget {
                    limit: 16.0,
                    at: Some(100_000),
                }),
            });
        }
        for (via, opened) in &s.open {
            let reloads = if opened.reloads == 0 {
                String::new()
            } else {
                format!(" [reloads {}/{}]", opened.reloads, opened.painted.0.len())
            };
            lines.push(Line {
                figure: format!("open record: click {via} → painted{reloads}"),
                median: opened.painted.median(),
                p95: Some(opened.painted.p95()),
                unit: "ms",
                baselines: vec![("raw IndexedDB get of one record".into(), s.raw_get.median())],
                budget: Some(Budget {
                    limit: 50.0,
                    at: Some(10_000),
                }),
            });
        }
        lines.push(Line {
            figure: "edit → durable (Saving… → Saved)".into(),
            median: s.edit.median(),
            p95: Some(s.edit.p95()),
            unit: "ms",
            baselines: vec![(
                "raw IndexedDB put, 500 B, strict durability".into(),
                s.raw_put.median(),
            )],
            budget: Some(Budget {
                limit: 20.0,
                at: Some(10_000),
            }),
        });
        lines.push(Line {
            figure: "memory after cold start: JS heap + wasm".into(),
            median: s.memory.total() / 1e6,
            p95: None,
            unit: "MB",
            baselines: vec![(
                "blank app (0 records), same measure".into(),
                blank.memory.total() / 1e6,
            )],
            budget: Some(Budget {
                limit: 150.0,
                at: Some(100_000),
            }),
        });
        lines.push(Line {
            figure: format!("seed {} people + {} companies", n, n / 10),
            median: s.seed_ms / 1e3,
            p95: None,
            unit: "s",
            baselines: vec![(
                "raw JS puts, same count and sizes".into(),
                s.seed_baseline_ms / 1e3,
            )],
            budget: None,
        });
        print_lines(Some(n), &lines);

        // Where the time goes.
        let longest = s.cold.iter().map(|c| c.longest_task).fold(0.0, f64::max);
        let long_total = cold_samples(&s.cold, |c| Some(c.long_task_total)).median();
        let long_count = cold_samples(&s.cold, |c| Some(c.long_tasks as f64)).median();
        let wasm_received = cold_samples(&s.cold, |c| Some(c.wasm_received)).median();
        println!("   details:");
        if let Some(first) = s.cold.first() {
            let why = if first.source.contains("kith-list-row") {
                ""
            } else {
                " (the app's elementtiming sits on the row, whose text is in block children, \
                 so Chromium reports no entry for it; head.html marks the name links)"
            };
            println!("   first rows timed by: {}{why}", first.source);
        }
        println!(
            "   cold start: wasm received {}, shell painted {}, rows painted {} (medians); \
             main-thread long tasks until rows: {long_count:.0} totalling {} (median), \
             longest {} (worst run)",
            fmt_value(wasm_received, "ms"),
            fmt_value(fcp.median(), "ms"),
            fmt_value(rows.median(), "ms"),
            fmt_value(long_total, "ms"),
            fmt_value(longest, "ms"),
        );
        let b = &s.breakdown;
        println!(
            "   the app's load steps, timed again in the loaded page: open store {}, read \
             summaries (getAllKeys + getAll) {}, decode {}, build directory {}, list all people \
             sorted {}",
            fmt_value(b[0], "ms"),
            fmt_value(b[1], "ms"),
            fmt_value(b[2], "ms"),
            fmt_value(b[3], "ms"),
            fmt_value(b[4], "ms")
        );
        for q in &s.search {
            println!(
                "   search {:?} ({}): directory search alone (wasm, no DOM) {}, input handler {} \
                 median, to painted {} median / {} max",
                q.query,
                q.kind,
                fmt_value(q.wasm_only, "ms"),
                fmt_value(q.handler.median(), "ms"),
                fmt_value(q.painted.median(), "ms"),
                fmt_value(q.painted.max(), "ms"),
            );
        }
        for (via, opened) in &s.open {
            println!(
                "   open via {via}: name in the DOM after {} median ({} p95); painted adds the \
                 wait for the next frame{}",
                fmt_value(opened.shown.median(), "ms"),
                fmt_value(opened.shown.p95(), "ms"),
                if opened.reloads > 0 {
                    format!(
                        "; {} of {} loaded the whole app again (a new page)",
                        opened.reloads,
                        opened.shown.0.len()
                    )
                } else {
                    String::new()
                }
            );
        }
        println!(
            "   seed: {} in IndexedDB write_many, the rest building Automerge records and \
             summaries; average snapshot {:.0} B, summary {:.0} B",
            fmt_value(s.seed_write_ms / 1e3, "s"),
            s.avg_snapshot,
            s.avg_summary
        );
        println!(
            "   memory: JS heap {:.1} MB (after a forced GC), wasm linear memory {:.1} MB{}",
            s.memory.js_heap / 1e6,
            s.memory.wasm / 1e6,
            s.memory.perf_memory.map_or_else(String::new, |p| format!(
                "; performance.memory.usedJSHeapSize {:.1} MB (Chromium quantises it \
                 without --enable-precise-memory-info)",
                p / 1e6
            ))
        );
    }
}

// ---------------------------------------------------------------------------------------------
// In-page scripts. Each gets its arguments as `arguments[0]` and reports through `done`.
// ---------------------------------------------------------------------------------------------

/// Wraps an async function body with what every script uses: `args`, `done`, `sleep`,
/// `afterNextPaint` (resolves with `performance.now()` once the current frame has rendered: a
/// message posted from an animation-frame callback is handled after that frame's style, layout
/// and paint) and IndexedDB promise helpers. A thrown error reaches Rust as `{ error }`.
macro_rules! page_js {
    ($body:literal) => {
        concat!(
            r#"
const done = arguments[arguments.length - 1];
const args = arguments[0];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const afterNextPaint = () => new Promise((resolve) => requestAnimationFrame(() => {
  const ch = new MessageChannel();
  ch.port1.onmessage = () => resolve(performance.now());
  ch.port2.postMessage(0);
}));
const openDb = (name, upgrade) => new Promise((resolve, reject) => {
  const req = upgrade ? indexedDB.open(name, 1) : indexedDB.open(name);
  if (upgrade) req.onupgradeneeded = () => upgrade(req.result);
  req.onsuccess = () => resolve(req.result);
  req.onerror = () => reject(req.error);
  req.onblocked = () => reject(new Error('opening ' + name + ' is blocked'));
});
const completed = (tx) => new Promise((resolve, reject) => {
  tx.oncomplete = resolve;
  tx.onerror = () => reject(tx.error);
  tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
});
const requested = (req) => new Promise((resolve, reject) => {
  req.onsuccess = () => resolve(req.result);
  req.onerror = () => reject(req.error);
});
(async () => {
"#,
            $body,
            r#"
})().then(done, (e) => done({ error: String((e && e.stack) || e) }));
"#
        )
    };
}

/// Waits for the first rows painted (`want: 'rows'`) or the empty state (`want: 'empty'`), then
/// reports the page's timings from navigation start. Rows: the app's own Element Timing entries
/// (`kith-list-row`) if any, else those of the name links head.html marks, else (after a grace
/// period) the end of the frame that first rendered rows.
const COLD_JS: &str = page_js!(
    r#"
const perf = window.__kithPerf;
if (!perf) throw new Error('window.__kithPerf is missing: not a bench build');
const start = performance.now();
let rows = null, source = null;
for (;;) {
  const failed = document.querySelector('.alert--danger, #boot-error:not([hidden])');
  if (failed) throw new Error('the app failed: ' + failed.textContent.trim());
  const fcp = performance.getEntriesByType('paint').some((e) => e.name === 'first-contentful-paint');
  if (args.want === 'rows') {
    const first = (id) => {
      const seen = perf.elements.filter((e) => e.identifier === id);
      return seen.length ? Math.min(...seen.map((e) => e.renderTime || e.loadTime)) : null;
    };
    rows = first('kith-list-row');
    source = 'element timing (app: kith-list-row)';
    if (rows === null) {
      rows = first('kith-list-row-link');
      source = 'element timing (name links)';
    }
    if (rows === null && perf.rowsRendered !== null && performance.now() - perf.rowsRendered > 2000) {
      rows = perf.rowsRendered;
      source = 'frame rendered (no element timing)';
    }
    if (rows !== null) break;
  } else if (fcp && document.querySelector('[data-testid=empty-state]')) {
    break;
  }
  if (performance.now() - start > args.timeout) {
    const inDom = document.querySelectorAll('[data-testid=list-row]').length;
    throw new Error(`no ${args.want} after ${args.timeout} ms (${inDom} rows in the DOM, `
      + `${perf.elements.length} element timings)`);
  }
  await sleep(20);
}
// Let the observers hand over the last long tasks.
await sleep(200);
const end = rows === null ? performance.now() : rows;
const tasks = perf.longtasks.filter((t) => t.start < end);
const nav = performance.getEntriesByType('navigation')[0];
const wasm = performance.getEntriesByType('resource').find((e) => e.name.endsWith('.wasm'));
const fcp = performance.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint');
return {
  rows,
  source,
  rowsInDom: perf.rowsInDom,
  rowsRendered: perf.rowsRendered,
  fcp: fcp ? fcp.startTime : null,
  wasm: wasm ? wasm.responseEnd : null,
  domContentLoaded: nav ? nav.domContentLoadedEventEnd : null,
  controlled: !!(navigator.serviceWorker && navigator.serviceWorker.controller),
  longest: tasks.reduce((m, t) => Math.max(m, t.duration), 0),
  longTasks: tasks.length,
  longTotal: tasks.reduce((s, t) => s + t.duration, 0),
  tasks: tasks.map((t) => [Math.round(t.start), Math.round(t.duration)]),
};
"#
);

/// `getAll()` of the app's `summaries` store, in its own connection.
const GET_ALL_JS: &str = page_js!(
    r#"
const db = await openDb('kith');
const times = [];
let n = 0;
for (let i = 0; i < args.runs; i++) {
  const t0 = performance.now();
  const tx = db.transaction('summaries', 'readonly');
  const all = await requested(tx.objectStore('summaries').getAll());
  times.push(performance.now() - t0);
  n = all.length;
}
db.close();
if (n === 0) throw new Error('the summaries store is empty');
return { times, n };
"#
);

/// The last keystroke of `query`, dispatched at the start of a frame (in an animation-frame
/// callback), timed to the end of that frame's rendering; the prefix before it is typed
/// untimed. Then clears the search.
const SEARCH_JS: &str = page_js!(
    r#"
const input = document.querySelector('[data-testid=list-search]');
if (!input) throw new Error('no search input');
const type = (value) => {
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
};
const count = () => document.querySelector('[data-testid=list-count]').textContent.trim();
const painted = [], handler = [];
let hits = '';
for (let i = 0; i < args.runs; i++) {
  type(args.query.slice(0, -1));
  await afterNextPaint();
  await afterNextPaint();
  const [h, p] = await new Promise((resolve) => requestAnimationFrame(() => {
    const t0 = performance.now();
    type(args.query);
    const t1 = performance.now();
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve([t1 - t0, performance.now() - t0]);
    ch.port2.postMessage(0);
  }));
  handler.push(h);
  painted.push(p);
  hits = count();
}
const rows = document.querySelectorAll('[data-testid=list-row]').length;
type('');
await afterNextPaint();
await afterNextPaint();
if (!/ of /.test(hits)) throw new Error(`the count did not change to "N of M" but reads ${hits}`);
return { painted, handler, count: hits, rows };
"#
);

/// A plain JS substring scan over the strings search looks through (every word must occur).
const SCAN_JS: &str = page_js!(
    r#"
if (!window.__kithHaystacks || window.__kithHaystacks.length !== args.count) {
  window.__kithHaystacks = window.__kithBench.kith_bench_haystacks(args.count);
}
const hay = window.__kithHaystacks;
const words = args.query.toLowerCase().split(/\s+/).filter(Boolean);
const times = [];
let hits = 0;
for (let i = 0; i < args.runs; i++) {
  const t0 = performance.now();
  hits = 0;
  for (const s of hay) {
    if (words.every((w) => s.includes(w))) hits++;
  }
  times.push(performance.now() - t0);
}
return { times, hits };
"#
);

/// Clicks row `index` (`via: 'row'`) or its name link (`via: 'link'`) and returns at once;
/// an observer notes in `window.__kithOpen` when the record title shows the name and when that
/// frame has rendered, if the app routes in the page. [`OPENED_JS`] reads the outcome, in this
/// document or, if the click loaded a new page, in that one.
const OPEN_JS: &str = r#"
const args = arguments[0];
const links = document.querySelectorAll('[data-testid=list-row] .row-link');
const a = links[args.index];
if (!a) return { error: `no row ${args.index} (${links.length} rows)` };
const target = args.via === 'link' ? a : a.closest('[data-testid=list-row]');
const name = a.textContent.trim();
const href = a.getAttribute('href');
const marker = String(Math.random());
window.__kithMarker = marker;
window.__kithOpen = null;
const title = () => {
  const t = document.querySelector('[data-testid=record-title]');
  return t ? t.textContent.trim() : null;
};
const t0 = performance.now();
const observer = new MutationObserver(() => {
  if (location.pathname !== href || title() !== name) return;
  observer.disconnect();
  const shown = performance.now();
  requestAnimationFrame(() => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => { window.__kithOpen = { shown: shown - t0, painted: performance.now() - t0 }; };
    ch.port2.postMessage(0);
  });
});
observer.observe(document.body, { subtree: true, childList: true, characterData: true });
target.click();
return { name, href, marker, t0: performance.timeOrigin + t0 };
"#;

/// After [`OPEN_JS`]: `null` until the record shows, then `{ sameDocument, shown, painted }`
/// (ms since the click in the same document; absolute epoch ms in a new one, where painted
/// is the title's Element Timing, or the frame that rendered it if there is none).
const OPENED_JS: &str = r#"
const args = arguments[0];
if (window.__kithMarker === args.marker) {
  return window.__kithOpen ? { sameDocument: true, ...window.__kithOpen } : null;
}
const t = document.querySelector('[data-testid=record-title]');
if (location.pathname !== args.href || !t || t.textContent.trim() !== args.name) return null;
const perf = window.__kithPerf;
if (!perf || perf.titleRendered === null) return null;
const timed = perf.elements.find((e) => e.identifier === 'kith-record-title');
if (!timed && performance.now() - perf.titleRendered < 2000) return null;
return {
  sameDocument: false,
  shown: performance.timeOrigin + perf.titleInDom,
  painted: performance.timeOrigin + (timed ? timed.renderTime : perf.titleRendered),
  source: timed ? 'element timing' : 'frame rendered',
};
"#;

/// One `get` of each record in `ids` from the app's `records` store, each its own transaction.
const RAW_GET_JS: &str = page_js!(
    r#"
const db = await openDb('kith');
const times = [];
for (const id of args.ids) {
  const t0 = performance.now();
  const value = await requested(db.transaction('records', 'readonly').objectStore('records').get(id));
  times.push(performance.now() - t0);
  if (!value) throw new Error('no stored record ' + id);
}
db.close();
return { times };
"#
);

/// Changes the title field and waits for "Saving…" then "Saved", `runs` times.
const EDIT_JS: &str = page_js!(
    r#"
const input = document.querySelector('[data-testid=field-title]');
if (!input) throw new Error('no title field on this page');
const state = () => {
  const s = document.querySelector('[data-testid=save-state]');
  return s ? s.textContent.trim() : '(no save state)';
};
const times = [];
for (let i = 0; i < args.runs; i++) {
  const waitStart = performance.now();
  while (state() !== 'Saved') {
    if (performance.now() - waitStart > args.timeout) throw new Error('not saved before the edit: ' + state());
    await sleep(10);
  }
  await afterNextPaint();
  const value = `Bench title ${i} ${Date.now()}`;
  times.push(await new Promise((resolve, reject) => {
    let observer = null, timer = null, saving = false;
    const t0 = performance.now();
    const finish = (error) => {
      observer.disconnect();
      clearTimeout(timer);
      if (error) reject(error); else resolve(performance.now() - t0);
    };
    const check = () => {
      const s = state();
      if (s === 'Saving…') saving = true;
      else if (s === 'Saved') { if (saving) finish(); }
      else finish(new Error('the save failed: ' + s));
    };
    observer = new MutationObserver(check);
    observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    timer = setTimeout(() => finish(new Error(
      `no "Saving…" then "Saved" within ${args.timeout} ms (saw Saving: ${saving}, now ${state()})`)),
      args.timeout);
    input.value = value;
    input.dispatchEvent(new Event('change', { bubbles: true }));
    check();
  }));
  if (input.value !== value) throw new Error(`the field shows ${input.value}, not ${value}`);
}
return { times };
"#
);

/// One ~500-byte object per read-write transaction with strict durability, in a database of
/// its own.
const RAW_PUT_JS: &str = page_js!(
    r#"
const db = await openDb('kith-bench-put', (db) => db.createObjectStore('b'));
const times = [];
for (let i = 0; i < args.runs; i++) {
  const t0 = performance.now();
  const tx = db.transaction('b', 'readwrite', { durability: 'strict' });
  tx.objectStore('b').put({ v: 1, kind: 'person', bytes: new Uint8Array(500).fill(i) }, 'k' + i);
  await completed(tx);
  times.push(performance.now() - t0);
}
db.close();
return { times };
"#
);

/// The storage part of seeding alone: the same number of record and summary values of the
/// same average sizes, 2,000 per strict transaction, in a database deleted afterwards.
const SEED_BASELINE_JS: &str = page_js!(
    r#"
const name = 'kith-bench-seed';
const db = await openDb(name, (db) => { db.createObjectStore('records'); db.createObjectStore('summaries'); });
const t0 = performance.now();
for (let start = 0; start < args.records; start += args.batch) {
  const tx = db.transaction(['records', 'summaries'], 'readwrite', { durability: 'strict' });
  const records = tx.objectStore('records'), summaries = tx.objectStore('summaries');
  for (let i = start; i < Math.min(start + args.batch, args.records); i++) {
    const id = crypto.randomUUID();
    records.put({ v: 1, kind: 'person', snapshot: new Uint8Array(args.snapshot).fill(i & 255), changes: [] }, id);
    summaries.put({ v: 1, kind: 'person', bytes: new Uint8Array(args.summary).fill(i & 255) }, id);
  }
  await completed(tx);
}
const ms = performance.now() - t0;
db.close();
await requested(indexedDB.deleteDatabase(name));
return { ms };
"#
);
