//! `cargo xtask run | dist | test` — builds, runs and tests Kith on a fresh Debian machine,
//! installing what is missing (wasm target, wasm-bindgen CLI, Chromium, PostgreSQL) or saying
//! how.

mod dist;
mod tools;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  run [-- RELAY FLAGS]   build the app and start the relay at http://127.0.0.1:8080
                         (relay flags: cargo xtask run -- --help)
  dist                   build the app into dist/ and print its download size
  test                   fmt, clippy, native tests, wasm tests in Chromium, end-to-end tests
  bench [--native|--browser|--crm] [-- DRIVER FLAGS]
                         print performance figures, each beside a baseline measured in the
                         same run: native (records, search), the relay (edit latency,
                         ingest, bootstrap, 1,000 sockets) and in headless Chromium (cold
                         start, search, open, edit, memory at 10k and 100k people); driver
                         flags: cargo xtask bench --browser -- --help";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(e) = dispatch(&args) {
        eprintln!("\nxtask: error: {e:#}");
        std::process::exit(1);
    }
}

fn dispatch(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("dist") => dist::build().map(drop),
        Some("test") => test(),
        Some("bench") => bench(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => bail!("{USAGE}"),
    }
}

fn run(relay_args: &[String]) -> Result<()> {
    let dist = dist::build()?;
    let relay_args = relay_args
        .strip_prefix(&["--".to_string()])
        .unwrap_or(relay_args);
    let mut cmd = cargo();
    cmd.args([
        "run",
        "--release",
        "--package",
        "kith-server",
        "--bin",
        "kith-relay",
        "--",
    ])
    .arg("--dist")
    .arg(&dist)
    .args(relay_args);
    step("starting the relay (Ctrl-C stops it)", cmd)
}

fn test() -> Result<()> {
    tools::ensure_wasm_target()?;
    tools::ensure_wasm_bindgen()?;
    let browser = tools::ensure_chromium()?;
    tools::ensure_postgres()?;
    let axe = tools::ensure_axe()?;

    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    step("formatting (cargo fmt --check)", fmt)?;

    let mut clippy = cargo();
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    step("lints (clippy -D warnings)", clippy)?;

    let dist = dist::build()?;

    // The app is exercised in a browser below; natively it has nothing to run.
    let mut native = cargo();
    native
        .args(["test", "--workspace", "--exclude", "kith-app"])
        .env("KITH_DIST", &dist)
        .env("AXE_JS", &axe)
        .env("CHROMIUM", &browser.chromium)
        .env("CHROMEDRIVER", &browser.chromedriver);
    let mut totals = TestCounts::default();
    totals += test_step("native, relay and end-to-end tests", native)?;

    let mut wasm = cargo();
    wasm.args([
        "test",
        "--package",
        "kith-app",
        "--target",
        "wasm32-unknown-unknown",
    ])
    .current_dir(root().join("app"))
    .env("CHROMEDRIVER", &browser.chromedriver)
    .env("WASM_BINDGEN_TEST_TIMEOUT", "120");
    totals += test_step("wasm tests in headless Chromium", wasm)?;

    println!("\nxtask: every step passed");
    println!("{} passed, {} failed", totals.passed, totals.failed);
    Ok(())
}

fn bench(args: &[String]) -> Result<()> {
    let (ours, driver_args) = match args.iter().position(|a| a == "--") {
        Some(at) => (&args[..at], &args[at + 1..]),
        None => (args, &[][..]),
    };
    let (native, browser) = match ours {
        [] => (true, true),
        [only] if only == "--native" => (true, false),
        [only] if only == "--browser" => (false, true),
        [only] if only == "--crm" => {
            let bench_build = bench_build()?;
            return crm_bench(&bench_build.dir, &tools::ensure_chromium()?);
        }
        _ => bail!("{USAGE}"),
    };
    if native {
        let mut native = cargo();
        native.args(["bench", "--package", "kith-core", "--bench", "records"]);
        step("native benchmarks: records, summaries, search", native)?;
        let mut relay = cargo();
        relay.args(["bench", "--package", "kith-server", "--bench", "sync"]);
        step(
            "relay benchmarks: edit latency, ingest, bootstrap, 1,000 sockets",
            relay,
        )?;
    }
    if browser {
        browser_bench(driver_args)?;
    }
    Ok(())
}

/// Builds the app twice — as shipped (for its download size) and with the `bench` feature
/// (seeding and memory exports, plus `tests/bench/head.html`), each away from `dist/` — then
/// runs the driver in `tests/src/bin/browser_bench.rs` against the bench build.
fn browser_bench(driver_args: &[String]) -> Result<()> {
    let browser = tools::ensure_chromium()?;
    let root = root();
    let out = root.join("target").join("bench");
    let shipped = dist::build_with(&dist::Options::app(out.join("app")))?;
    let bench_build = bench_build()?;
    let mut driver = cargo();
    driver
        .args([
            "run",
            "--quiet",
            "--package",
            "kith-e2e",
            "--bin",
            "browser_bench",
            "--",
        ])
        .arg("--dist")
        .arg(&bench_build.dir)
        .arg("--download-gzip")
        .arg(shipped.download_gzip.to_string())
        .args(driver_args)
        .env("CHROMIUM", &browser.chromium)
        .env("CHROMEDRIVER", &browser.chromedriver);
    step(
        "browser benchmarks in headless Chromium: cold start, search, open, edit, memory",
        driver,
    )?;
    let mut sync = cargo();
    sync.args([
        "run",
        "--quiet",
        "--package",
        "kith-e2e",
        "--bin",
        "sync_bench",
        "--",
    ])
    .arg("--dist")
    .arg(&bench_build.dir)
    .env("CHROMIUM", &browser.chromium)
    .env("CHROMEDRIVER", &browser.chromedriver);
    step(
        "sync in headless Chromium: a new device bootstraps a 10k-person workspace",
        sync,
    )?;
    crm_bench(&bench_build.dir, &browser)
}

/// The app with the `bench` feature (seeding and memory exports, plus
/// `tests/bench/head.html`), in its own target dir so the shipped build's artefacts stay.
fn bench_build() -> Result<dist::Built> {
    let root = root();
    let head_path = root.join("tests/bench/head.html");
    let head = std::fs::read_to_string(&head_path)
        .with_context(|| format!("reading {}", head_path.display()))?;
    let out = root.join("target").join("bench");
    dist::build_with(&dist::Options {
        features: &["bench"],
        out: out.join("dist"),
        target_dir: Some(out.join("cargo")),
        head_html: &head,
        title: "bench build (the app plus benchmark exports; never shipped)",
    })
}

/// The CRM screens under load: a 2,000-deal board, a 100k-person list.
fn crm_bench(dist: &Path, browser: &tools::Browser) -> Result<()> {
    let mut crm = cargo();
    crm.args([
        "run",
        "--quiet",
        "--package",
        "kith-e2e",
        "--bin",
        "crm_bench",
        "--",
    ])
    .arg("--dist")
    .arg(dist)
    .env("CHROMIUM", &browser.chromium)
    .env("CHROMEDRIVER", &browser.chromedriver);
    step(
        "CRM screens in headless Chromium: a 2,000-deal board, a 100k-person list",
        crm,
    )
}

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// `cargo` as invoked us (honours a rustup proxy), run from the workspace root.
fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

/// Runs one step, saying what it is first and failing loudly with its exit status.
fn step(what: &str, mut cmd: Command) -> Result<()> {
    println!("\n==> {what}\n    $ {}", describe(&cmd));
    let started = std::time::Instant::now();
    let status = cmd
        .status()
        .with_context(|| format!("could not start {}", describe(&cmd)))?;
    if !status.success() {
        bail!("{what} failed ({status}): {}", describe(&cmd));
    }
    println!("    ok: {what} ({:.1} s)", started.elapsed().as_secs_f64());
    Ok(())
}

/// Tests counted from cargo test's `test result:` lines.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct TestCounts {
    passed: u64,
    failed: u64,
}

impl std::ops::AddAssign for TestCounts {
    fn add_assign(&mut self, other: Self) {
        self.passed += other.passed;
        self.failed += other.failed;
    }
}

impl TestCounts {
    /// Reads `test result: ok. 9 passed; 0 failed; …` (cargo test and wasm-bindgen-test alike).
    fn from_line(line: &str) -> Option<Self> {
        let rest = line.trim().strip_prefix("test result: ")?;
        let count = |word: &str| {
            rest.split(';').find_map(|part| {
                part.trim()
                    .trim_start_matches("ok.")
                    .trim_start_matches("FAILED.")
                    .trim()
                    .strip_suffix(word)?
                    .trim()
                    .parse()
                    .ok()
            })
        };
        Some(Self {
            passed: count("passed")?,
            failed: count("failed")?,
        })
    }
}

/// Like [`step`] for `cargo test`: echoes its output and adds up what it ran.
fn test_step(what: &str, mut cmd: Command) -> Result<TestCounts> {
    use std::io::BufRead;
    println!("\n==> {what}\n    $ {}", describe(&cmd));
    let started = std::time::Instant::now();
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start {}", describe(&cmd)))?;
    let mut counts = TestCounts::default();
    for line in std::io::BufReader::new(child.stdout.take().expect("piped")).lines() {
        let line = line?;
        println!("{line}");
        if let Some(found) = TestCounts::from_line(&line) {
            counts += found;
        }
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("{what} failed ({status}): {}", describe(&cmd));
    }
    println!(
        "    ok: {what}: {} passed ({:.1} s)",
        counts.passed,
        started.elapsed().as_secs_f64()
    );
    Ok(counts)
}

fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::TestCounts;

    #[test]
    fn reads_cargo_test_result_lines() {
        let ok = "test result: ok. 9 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.04s";
        assert_eq!(
            TestCounts::from_line(ok),
            Some(TestCounts {
                passed: 9,
                failed: 0
            })
        );
        let failed =
            "test result: FAILED. 2 passed; 1 failed; 0 ignored; 0 filtered out; finished in 1.36s";
        assert_eq!(
            TestCounts::from_line(failed),
            Some(TestCounts {
                passed: 2,
                failed: 1
            })
        );
        assert_eq!(TestCounts::from_line("test foo ... ok"), None);
    }
}
