//! Finding, or installing, the tools a build or test needs.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{cargo, root, step};

const WASM_TARGET: &str = "wasm32-unknown-unknown";

pub fn ensure_wasm_target() -> Result<()> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"]))
        .context("rustup is needed to add the wasm32 target: install Rust with rustup (https://rustup.rs)")?;
    if installed.lines().any(|l| l.trim() == WASM_TARGET) {
        return Ok(());
    }
    let mut add = Command::new("rustup");
    add.args(["target", "add", WASM_TARGET]);
    step("adding the wasm32 target", add)
        .context("could not add the wasm32 target: run `rustup target add wasm32-unknown-unknown`")
}

/// The wasm-bindgen CLI must be exactly the version of the `wasm-bindgen` crate in Cargo.lock.
pub fn ensure_wasm_bindgen() -> Result<()> {
    let wanted = locked_version("wasm-bindgen")?;
    let have = output(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    let runner =
        output(Command::new("wasm-bindgen-test-runner").arg("--version")).unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(wanted.as_str()) && runner.contains(&wanted) {
        return Ok(());
    }
    println!(
        "wasm-bindgen CLI {wanted} is needed (found: {:?}); installing it takes a few minutes",
        have.trim()
    );
    // Not --locked: the CLI's own lockfile names a version the registry no longer serves.
    let mut install = cargo();
    install.args(["install", "wasm-bindgen-cli", "--version", &wanted]);
    step("installing wasm-bindgen-cli", install).with_context(|| {
        format!("could not install it: run `cargo install wasm-bindgen-cli --version {wanted}`")
    })
}

pub struct Browser {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

/// Debian's Chromium and its matching chromedriver (browsers that test tools download cannot
/// be fetched here). `CHROMIUM` / `CHROMEDRIVER` point elsewhere if set.
pub fn ensure_chromium() -> Result<Browser> {
    let chromium = env_path("CHROMIUM", "/usr/bin/chromium");
    let chromedriver = env_path("CHROMEDRIVER", "/usr/bin/chromedriver");
    if !chromium.exists() || !chromedriver.exists() {
        install_debian_packages(&["chromium", "chromium-driver"])?;
    }
    let browser = output(Command::new(&chromium).arg("--version"))?;
    let driver = output(Command::new(&chromedriver).arg("--version"))?;
    let major = |s: &str| {
        s.split_whitespace()
            .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
            .and_then(|v| v.split('.').next())
            .map(str::to_owned)
    };
    if major(&browser) != major(&driver) {
        bail!(
            "Chromium ({}) and chromedriver ({}) differ in version: run `apt-get install -y chromium chromium-driver`",
            browser.trim(),
            driver.trim()
        );
    }
    Ok(Browser {
        chromium,
        chromedriver,
    })
}

/// PostgreSQL's server binaries, for the scale-out tests (they start their own throwaway
/// cluster). Installed from Debian when no `/usr/lib/postgresql/*/bin/initdb` exists.
pub fn ensure_postgres() -> Result<()> {
    let has_server = |dir: &str| {
        std::fs::read_dir(dir).is_ok_and(|versions| {
            versions
                .filter_map(|v| v.ok())
                .any(|v| v.path().join("bin/initdb").is_file())
        })
    };
    if has_server("/usr/lib/postgresql") {
        return Ok(());
    }
    install_debian_packages(&["postgresql"])?;
    if !has_server("/usr/lib/postgresql") {
        bail!("postgresql was installed but no /usr/lib/postgresql/*/bin/initdb exists");
    }
    Ok(())
}

/// axe-core for the end-to-end accessibility checks, installed from npm (its version is
/// pinned by `tests/axe/package-lock.json`). Returns the path of `axe.min.js`.
pub fn ensure_axe() -> Result<PathBuf> {
    let dir = root().join("tests/axe");
    let script = dir.join("node_modules/axe-core/axe.min.js");
    if script.is_file() {
        return Ok(script);
    }
    if output(Command::new("npm").arg("--version")).is_err() {
        install_debian_packages(&["nodejs", "npm"])?;
    }
    let mut install = Command::new("npm");
    install
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir);
    step("installing axe-core from npm (tests/axe)", install).context(
        "could not install axe-core: run `npm ci` in tests/axe (needs Node.js and npm: `apt-get install nodejs npm`)",
    )?;
    if !script.is_file() {
        bail!("npm ci succeeded but {} is missing", script.display());
    }
    Ok(script)
}

fn install_debian_packages(packages: &[&str]) -> Result<()> {
    let list = packages.join(" ");
    let is_root = output(Command::new("id").arg("-u")).is_ok_and(|uid| uid.trim() == "0");
    let sudo_ok = !is_root
        && Command::new("sudo")
            .args(["-n", "true"])
            .status()
            .is_ok_and(|s| s.success());
    if !is_root && !sudo_ok {
        bail!(
            "{list} are needed: run `sudo apt-get update && sudo apt-get install -y {list}`, then try again"
        );
    }
    let apt = |args: &[&str]| {
        let mut cmd = if is_root {
            Command::new("apt-get")
        } else {
            Command::new("sudo")
        };
        if !is_root {
            cmd.arg("apt-get");
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    step("refreshing Debian package lists", apt(&["update"]))?;
    let mut install = apt(&["install", "-y", "--no-install-recommends"]);
    install.args(packages);
    step(&format!("installing {list}"), install)
        .with_context(|| format!("could not install them: run `apt-get install -y {list}`"))
}

/// The version of `package` recorded in Cargo.lock.
pub fn locked_version(package: &str) -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).context("reading Cargo.lock")?;
    let name = format!("name = \"{package}\"");
    let mut lines = lock.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if line == name
            && let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = "))
        {
            return Ok(version.trim_matches('"').to_string());
        }
    }
    bail!("{package} is not in Cargo.lock")
}

fn env_path(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default))
}

/// Runs a command and returns its stdout, failing if it cannot start or fails.
fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .output()
        .with_context(|| format!("could not run {:?}", cmd.get_program()))?;
    if !out.status.success() {
        bail!(
            "{:?} failed: {}",
            cmd.get_program(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
