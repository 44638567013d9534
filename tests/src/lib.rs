//! Helpers for the end-to-end tests: a relay with its own data, and a headless Chromium.
//!
//! Nothing here sleeps to wait for state: every wait polls with a deadline and, when it gives
//! up, says what it was waiting for and what it saw last.

pub mod a11y;
pub mod api;
pub mod pointer;
/// A throwaway PostgreSQL cluster (shared with the relay's own tests).
#[path = "../../server/tests/support/postgres.rs"]
pub mod postgres;

use std::net::{SocketAddr, TcpListener as StdTcpListener};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tempfile::TempDir;

/// How long a wait lasts unless a test says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// How often a wait looks again.
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// The workspace root (`tests/..`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives inside the workspace")
        .to_path_buf()
}

/// The built app: `$KITH_DIST` if set, else `<workspace>/dist`. Fails unless it holds `index.html`.
pub fn dist_dir() -> Result<PathBuf> {
    let dist = match std::env::var_os("KITH_DIST") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join("dist"),
    };
    if !dist.join("index.html").is_file() {
        bail!(
            "dist/index.html not found: run `cargo xtask dist` first (looked in {})",
            dist.display()
        );
    }
    Ok(dist)
}

/// Where [`Browser::screenshot`] writes: `<workspace>/target/screenshots`.
pub fn screenshot_dir() -> PathBuf {
    workspace_root().join("target").join("screenshots")
}

/// A CSS selector for `data-testid="id"`.
pub fn tid(id: &str) -> String {
    format!(r#"[data-testid="{id}"]"#)
}

/// One look at the state a [`poll`] waits for.
pub enum Seen<T> {
    /// The state is reached; the poll returns this value.
    Done(T),
    /// Not yet; this is what was seen instead (quoted if the poll times out).
    Not(String),
}

/// Calls `check` every [`POLL_INTERVAL`] until it reports [`Seen::Done`] or `timeout` has passed.
/// An `Err` from `check` ends the poll at once: report passing trouble as [`Seen::Not`].
pub async fn poll<T>(
    what: &str,
    timeout: Duration,
    mut check: impl AsyncFnMut() -> Result<Seen<T>>,
) -> Result<T> {
    let start = Instant::now();
    let deadline = start + timeout;
    loop {
        // A single look may not hang past the deadline (give the last one a moment, though).
        let budget = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_secs(2));
        let last = match tokio::time::timeout(budget, check()).await {
            Ok(Ok(Seen::Done(value))) => return Ok(value),
            Ok(Ok(Seen::Not(seen))) => seen,
            Ok(Err(e)) => return Err(e.context(format!("while waiting for {what}"))),
            Err(_) => format!("a check that did not answer within {budget:?}"),
        };
        if Instant::now() >= deadline {
            bail!(
                "timed out after {:.1?} waiting for {what}; last seen: {last}",
                start.elapsed()
            );
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Turns a WebDriver error inside a poll into "not yet", unless chromedriver itself is gone.
fn transient<T>(e: CmdError) -> Result<Seen<T>> {
    match e {
        CmdError::Lost(_) => Err(anyhow!(e).context("lost the connection to chromedriver")),
        e => Ok(Seen::Not(format!("WebDriver error: {e}"))),
    }
}

fn is_no_such_element(e: &CmdError) -> bool {
    matches!(e, CmdError::Standard(w) if w.error == fantoccini::error::ErrorStatus::NoSuchElement)
}

/// A free loopback port: bind port 0, note the port, let it go.
pub fn free_port() -> Result<u16> {
    let listener = StdTcpListener::bind(("127.0.0.1", 0)).context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// `GET url` over plain HTTP; returns the status code and the body as text.
pub async fn http_get(url: &str) -> Result<(u16, String)> {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<hyper::body::Bytes>>();
    let uri: hyper::Uri = url.parse().with_context(|| format!("not a URL: {url}"))?;
    let response = client
        .get(uri)
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .with_context(|| format!("reading the body of GET {url}"))?;
    let text = String::from_utf8(body.to_bytes().to_vec())
        .with_context(|| format!("GET {url}: body is not UTF-8"))?;
    Ok((status, text))
}

// ---------------------------------------------------------------------------------------------
// The relay
// ---------------------------------------------------------------------------------------------

/// A real relay on a real loopback socket, with its own data directory and the built app.
/// It can stop and come back on the same port (same data), the way a deploy restarts it.
pub struct TestRelay {
    data_dir: TempDir,
    /// What it was started with (the same on a restart, on the same address).
    config: kith_server::Config,
    addr: SocketAddr,
    relay: Option<kith_server::Relay>,
}

impl TestRelay {
    /// A relay on a free port serving the app from [`dist_dir`].
    pub async fn start() -> Result<Self> {
        Self::start_serving(dist_dir()?).await
    }

    /// A relay on a free port serving the app from `dist`.
    pub async fn start_serving(dist: PathBuf) -> Result<Self> {
        Self::start_in(dist, |_| {}).await
    }

    /// A relay node on the database at `url` (several nodes may share a PostgreSQL database).
    pub async fn start_on_database(url: &str) -> Result<Self> {
        let url = url.to_string();
        Self::start_configured(|config| config.database_url = Some(url)).await
    }

    /// A relay serving the app from [`dist_dir`], with some of its flags changed.
    pub async fn start_configured(
        configure: impl FnOnce(&mut kith_server::Config),
    ) -> Result<Self> {
        Self::start_in(dist_dir()?, configure).await
    }

    async fn start_in(
        dist: PathBuf,
        configure: impl FnOnce(&mut kith_server::Config),
    ) -> Result<Self> {
        let data_dir = tempfile::Builder::new()
            .prefix("kith-e2e-relay-")
            .tempdir()
            .context("creating the relay's data dir")?;
        let mut config = kith_server::Config::local(data_dir.path());
        config.dist = dist;
        configure(&mut config);
        let relay = kith_server::spawn(config.clone())
            .await
            .context("starting the relay")?;
        config.listen = relay.addr();
        Ok(Self {
            data_dir,
            config,
            addr: relay.addr(),
            relay: Some(relay),
        })
    }

    /// `http://127.0.0.1:PORT`; stays the same across [`stop`](Self::stop) and
    /// [`restart`](Self::restart).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The relay's data directory (kept while stopped, removed when this value drops).
    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    pub fn is_running(&self) -> bool {
        self.relay.is_some()
    }

    /// Shuts the relay down (WebSockets close with 1001, the database closes); keeps its data.
    pub async fn stop(&mut self) -> Result<()> {
        let relay = self
            .relay
            .take()
            .context("stop: the relay is not running")?;
        relay.shutdown().await.context("stopping the relay")
    }

    /// Starts the relay again on the same address with the same data. The port may stay busy
    /// for a moment after [`stop`](Self::stop), so binding is retried until a deadline.
    pub async fn restart(&mut self) -> Result<()> {
        if self.relay.is_some() {
            bail!("restart: the relay is still running; stop() it first");
        }
        let config = self.config.clone();
        let relay = poll(
            &format!("the relay to listen on {} again", self.addr),
            DEFAULT_TIMEOUT,
            async || match kith_server::spawn(config.clone()).await {
                Ok(relay) => Ok(Seen::Done(relay)),
                Err(kith_server::Error::Io(e)) if e.kind() == std::io::ErrorKind::AddrInUse => {
                    Ok(Seen::Not(format!("{e}")))
                }
                Err(e) => Err(anyhow!(e).context("restarting the relay")),
            },
        )
        .await?;
        self.relay = Some(relay);
        Ok(())
    }

    /// Stops the relay cleanly if it is running.
    pub async fn shutdown(mut self) -> Result<()> {
        if self.relay.is_some() {
            self.stop().await
        } else {
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The browser
// ---------------------------------------------------------------------------------------------

fn env_path(var: &str, default: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(value) if !value.is_empty() => PathBuf::from(value),
        _ => PathBuf::from(default),
    }
}

/// A Chromium profile (user data dir) that can outlive one browser process, so a test can
/// restart Chromium and find its storage, service worker and caches again.
pub struct Profile {
    dir: TempDir,
}

impl Profile {
    pub fn new() -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("kith-e2e-chromium-")
            .tempdir()
            .context("creating a Chromium profile dir")?;
        std::fs::create_dir(dir.path().join("user-data"))?;
        Ok(Self { dir })
    }

    /// Chromium's `--user-data-dir`.
    pub fn user_data_dir(&self) -> PathBuf {
        self.dir.path().join("user-data")
    }

    /// chromedriver's log of the browser that last used this profile.
    pub fn chromedriver_log(&self) -> PathBuf {
        self.dir.path().join("chromedriver.log")
    }
}

/// The chromedriver process. Dropping it kills its whole process group: chromedriver and
/// the Chromium it started.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id())
            && let Some(pid) = rustix::process::Pid::from_raw(pid)
        {
            // The group was made for this chromedriver alone (`process_group(0)` below).
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Headless Chromium driven through its own chromedriver.
pub struct Browser {
    // Field order matters: the session goes before the driver is killed.
    client: Client,
    driver: Driver,
    profile: Profile,
}

/// An entry of the browser console.
#[derive(Debug, Clone)]
pub struct ConsoleEntry {
    pub level: String,
    pub message: String,
}

/// What the page's service worker and shell cache look like.
#[derive(Debug, Clone)]
pub struct OfflineShell {
    /// The shell caches (`kith-shell-<build>`).
    pub caches: Vec<String>,
    /// Paths stored in them.
    pub paths: Vec<String>,
    /// Whether the page had to be reloaded once to come under the worker's control.
    pub reloaded: bool,
}

impl Browser {
    /// Chromium with a fresh profile, at a 1440×900 window.
    pub async fn launch() -> Result<Self> {
        Self::launch_with(Profile::new()?).await
    }

    /// Chromium using `profile` (e.g. one kept from [`Browser::close_keeping_profile`]).
    pub async fn launch_with(profile: Profile) -> Result<Self> {
        let chromedriver = env_path("CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium = env_path("CHROMIUM", "/usr/bin/chromium");
        let port = free_port()?;
        let child = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!(
                "--log-path={}",
                profile.chromedriver_log().display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, so dropping the Browser can kill Chromium along with it.
            .process_group(0)
            .spawn()
            .with_context(|| {
                format!(
                    "starting {} (set CHROMEDRIVER to override)",
                    chromedriver.display()
                )
            })?;
        let mut driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}/"),
        };

        poll(
            &format!("chromedriver to accept connections on port {port}"),
            DEFAULT_TIMEOUT,
            async || {
                if let Some(status) = driver.child.try_wait()? {
                    bail!(
                        "chromedriver exited ({status}) before accepting connections; see {}",
                        profile.chromedriver_log().display()
                    );
                }
                match tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                    Ok(_) => Ok(Seen::Done(())),
                    Err(e) => Ok(Seen::Not(format!("connect: {e}"))),
                }
            },
        )
        .await?;

        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--disable-quic",
                    format!("--user-data-dir={}", profile.user_data_dir().display()),
                    "--window-size=1440,900",
                ],
            },
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .with_context(|| {
                format!(
                    "starting a WebDriver session with {} (set CHROMIUM to override); see {}",
                    chromium.display(),
                    profile.chromedriver_log().display()
                )
            })?;
        Ok(Self {
            client,
            driver,
            profile,
        })
    }

    /// The fantoccini client, for anything the helpers don't cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// Ends the WebDriver session (Chromium quits), then stops chromedriver.
    pub async fn close(self) -> Result<()> {
        self.close_keeping_profile().await.map(drop)
    }

    /// Like [`close`](Self::close), but hands back the profile for [`Browser::launch_with`].
    pub async fn close_keeping_profile(self) -> Result<Profile> {
        let Self {
            client,
            driver,
            profile,
        } = self;
        let closed = client.close().await.context("ending the WebDriver session");
        drop(driver);
        closed.map(|()| profile)
    }

    /// Quits Chromium and starts it again on the same profile.
    pub async fn restart_same_profile(self) -> Result<Self> {
        let profile = self.close_keeping_profile().await?;
        Self::launch_with(profile).await
    }

    /// Ends a test: on failure, saves a screenshot `<test>-failure` and adds the page URL and
    /// the browser console to the error. Closes the browser either way.
    pub async fn finish(self, test: &str, result: Result<()>) -> Result<()> {
        let result = match result {
            Ok(()) => Ok(()),
            Err(e) => Err(e.context(self.failure_report(test).await)),
        };
        let closed = self.close().await;
        result.and(closed)
    }

    /// The page URL, a screenshot and the console, for a failing test's message.
    pub async fn failure_report(&self, test: &str) -> String {
        let url = match self.client.current_url().await {
            Ok(url) => url.to_string(),
            Err(e) => format!("(unknown: {e})"),
        };
        let shot = match self.screenshot(&format!("{test}-failure")).await {
            Ok(path) => path.display().to_string(),
            Err(e) => format!("(failed: {e:#})"),
        };
        let console = match self.console_log().await {
            Ok(entries) if entries.is_empty() => "(empty)".to_string(),
            Ok(entries) => entries
                .iter()
                .map(|e| format!("\n    [{}] {}", e.level, e.message))
                .collect(),
            Err(e) => format!("(unreadable: {e:#})"),
        };
        format!("{test} failed\n  page: {url}\n  screenshot: {shot}\n  browser console:{console}")
    }

    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client
            .goto(url)
            .await
            .with_context(|| format!("navigating to {url}"))
    }

    pub async fn reload(&self) -> Result<()> {
        self.client.refresh().await.context("reloading the page")
    }

    /// The path of the current URL (`/people`).
    pub async fn path(&self) -> Result<String> {
        Ok(self
            .client
            .current_url()
            .await
            .context("reading the current URL")?
            .path()
            .to_string())
    }

    /// The first element matching `css`, now.
    pub async fn find(&self, css: &str) -> Result<Element> {
        self.client
            .find(Locator::Css(css))
            .await
            .with_context(|| format!("finding `{css}`"))
    }

    /// Waits until an element matching `css` is in the page and displayed.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> Result<Element> {
        poll(
            &format!("`{css}` to be displayed"),
            timeout,
            async || match self.client.find(Locator::Css(css)).await {
                Ok(element) => match element.is_displayed().await {
                    Ok(true) => Ok(Seen::Done(element)),
                    Ok(false) => Ok(Seen::Not(
                        "the element is in the page but not displayed".into(),
                    )),
                    Err(e) => transient(e),
                },
                Err(e) if is_no_such_element(&e) => Ok(Seen::Not(self.nothing_matches().await)),
                Err(e) => transient(e),
            },
        )
        .await
    }

    /// Waits until an element matching `css` is in the page (displayed or not).
    pub async fn wait_for_present(&self, css: &str, timeout: Duration) -> Result<Element> {
        poll(
            &format!("`{css}` to be in the page"),
            timeout,
            async || match self.client.find(Locator::Css(css)).await {
                Ok(element) => Ok(Seen::Done(element)),
                Err(e) if is_no_such_element(&e) => Ok(Seen::Not(self.nothing_matches().await)),
                Err(e) => transient(e),
            },
        )
        .await
    }

    async fn nothing_matches(&self) -> String {
        match self.client.current_url().await {
            Ok(url) => format!("no element matches (page {url})"),
            Err(_) => "no element matches".into(),
        }
    }

    /// The rendered text of the first element matching `css`, now.
    pub async fn text_of(&self, css: &str) -> Result<String> {
        let element = self.find(css).await?;
        element
            .text()
            .await
            .with_context(|| format!("reading the text of `{css}`"))
    }

    /// Waits until the text of `css` (trimmed) is exactly `expected`.
    pub async fn wait_for_text(&self, css: &str, expected: &str, timeout: Duration) -> Result<()> {
        self.wait_for_text_where(css, &format!("{expected:?}"), timeout, |text| {
            text == expected
        })
        .await
        .map(drop)
    }

    /// Waits until the text of `css` (trimmed) satisfies `accept` (described by `wanted`, e.g.
    /// `"Offline" or "Connecting…"`); returns that text.
    pub async fn wait_for_text_where(
        &self,
        css: &str,
        wanted: &str,
        timeout: Duration,
        accept: impl Fn(&str) -> bool,
    ) -> Result<String> {
        poll(
            &format!("the text of `{css}` to be {wanted}"),
            timeout,
            async || match self.client.find(Locator::Css(css)).await {
                Ok(element) => match element.text().await {
                    Ok(text) if accept(text.trim()) => Ok(Seen::Done(text.trim().to_string())),
                    Ok(text) => Ok(Seen::Not(format!("text {:?}", text.trim()))),
                    Err(e) => transient(e),
                },
                Err(e) if is_no_such_element(&e) => Ok(Seen::Not(self.nothing_matches().await)),
                Err(e) => transient(e),
            },
        )
        .await
    }

    /// Waits for `css` to be displayed, then clicks it.
    pub async fn click(&self, css: &str) -> Result<()> {
        let element = self.wait_for(css, DEFAULT_TIMEOUT).await?;
        element
            .click()
            .await
            .with_context(|| format!("clicking `{css}`"))
    }

    /// Runs `script` in the page (`return` a value to get it back).
    /// Types `text` into the input at `css` as a person would, after clearing it.
    pub async fn type_text(&self, css: &str, text: &str) -> Result<()> {
        let element = self.wait_for(css, DEFAULT_TIMEOUT).await?;
        element
            .clear()
            .await
            .with_context(|| format!("clearing {css}"))?;
        element
            .send_keys(text)
            .await
            .with_context(|| format!("typing into {css}"))?;
        Ok(())
    }

    /// Types into a field and leaves it with Tab, which commits an inline edit.
    pub async fn fill(&self, css: &str, text: &str) -> Result<()> {
        self.type_text(css, text).await?;
        let element = self.find(css).await?;
        element
            .send_keys("\u{E004}")
            .await
            .with_context(|| format!("leaving {css}"))?;
        Ok(())
    }

    /// Presses Enter in the input at `css` (submits its form).
    pub async fn press_enter(&self, css: &str) -> Result<()> {
        let element = self.find(css).await?;
        element
            .send_keys("\u{E007}")
            .await
            .with_context(|| format!("pressing Enter in {css}"))?;
        Ok(())
    }

    /// Sets a `<select>` (or input) the way a person's choice does: value, then input and
    /// change events; fails if the control did not take the value.
    pub async fn choose(&self, css: &str, value: &str) -> Result<()> {
        self.wait_for(css, DEFAULT_TIMEOUT).await?;
        let done = self
            .client
            .execute(
                "const el = document.querySelector(arguments[0]);
                 el.value = arguments[1];
                 el.dispatchEvent(new Event('input', { bubbles: true }));
                 el.dispatchEvent(new Event('change', { bubbles: true }));
                 return el.value;",
                vec![serde_json::json!(css), serde_json::json!(value)],
            )
            .await
            .with_context(|| format!("choosing {value} in {css}"))?;
        anyhow::ensure!(
            done == serde_json::json!(value),
            "{css} did not take {value}: {done}"
        );
        Ok(())
    }

    /// The value of the input at `css`.
    pub async fn value_of(&self, css: &str) -> Result<String> {
        let element = self.find(css).await?;
        Ok(element.prop("value").await?.unwrap_or_default())
    }

    pub async fn eval(&self, script: &str) -> Result<Value> {
        self.client
            .execute(script, Vec::new())
            .await
            .with_context(|| format!("running script: {script}"))
    }

    /// Runs asynchronous `script`; it reports by calling `arguments[arguments.length - 1](value)`.
    pub async fn eval_async(&self, script: &str) -> Result<Value> {
        self.client
            .execute_async(script, Vec::new())
            .await
            .with_context(|| format!("running async script: {script}"))
    }

    /// Waits until `script` returns `true`.
    pub async fn wait_for_js(&self, what: &str, script: &str, timeout: Duration) -> Result<()> {
        poll(what, timeout, async || {
            match self.client.execute(script, Vec::new()).await {
                Ok(Value::Bool(true)) => Ok(Seen::Done(())),
                Ok(other) => Ok(Seen::Not(format!("script returned {other}"))),
                Err(e) => transient(e),
            }
        })
        .await
    }

    /// Saves a PNG of the viewport to `<workspace>/target/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let png = self
            .client
            .screenshot()
            .await
            .context("taking a screenshot")?;
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// The layout viewport (`innerWidth`, `innerHeight`).
    pub async fn viewport(&self) -> Result<(i64, i64)> {
        let size = self
            .eval("return [window.innerWidth, window.innerHeight];")
            .await?;
        match (size[0].as_i64(), size[1].as_i64()) {
            (Some(w), Some(h)) => Ok((w, h)),
            _ => bail!("unexpected viewport size from the page: {size}"),
        }
    }

    /// Resizes the window so the viewport is `width`×`height` CSS pixels: sets the window
    /// size, measures the viewport, and corrects once for window chrome.
    pub async fn set_viewport(&self, width: u32, height: u32) -> Result<()> {
        let want = (i64::from(width), i64::from(height));
        self.client
            .set_window_size(width, height)
            .await
            .context("setting the window size")?;
        let first = self.settled_viewport(want).await?;
        if first == want {
            return Ok(());
        }
        let corrected =
            |want: i64, got: i64| u32::try_from(2 * want - got).context("window size out of range");
        let (w, h) = (corrected(want.0, first.0)?, corrected(want.1, first.1)?);
        self.client
            .set_window_size(w, h)
            .await
            .context("setting the window size")?;
        let second = self.settled_viewport(want).await?;
        if second != want {
            bail!(
                "cannot get a {width}×{height} viewport: window {width}×{height} gave {}×{}, window {w}×{h} gave {}×{}",
                first.0,
                first.1,
                second.0,
                second.1
            );
        }
        Ok(())
    }

    /// Gives a resize a moment to reach the page: polls the viewport until it equals `want`
    /// or stops changing for a few polls; returns what it is then.
    async fn settled_viewport(&self, want: (i64, i64)) -> Result<(i64, i64)> {
        let mut last = self.viewport().await?;
        let mut unchanged = 0;
        poll(
            "the viewport to settle",
            Duration::from_secs(3),
            async || {
                let now = self.viewport().await?;
                unchanged = if now == last { unchanged + 1 } else { 0 };
                last = now;
                if now == want || unchanged >= 5 {
                    Ok(Seen::Done(now))
                } else {
                    Ok(Seen::Not(format!("{}×{}", now.0, now.1)))
                }
            },
        )
        .await
    }

    /// Console entries logged since the last call (chromedriver hands each one out once).
    pub async fn console_log(&self) -> Result<Vec<ConsoleEntry>> {
        let entries = self
            .client
            // chromedriver's browser log (needs `goog:loggingPrefs` at launch).
            .issue_cmd(SessionPost {
                path: "se/log",
                body: json!({ "type": "browser" }),
            })
            .await
            .context("reading the browser console")?;
        let entries = entries.as_array().cloned().unwrap_or_default();
        Ok(entries
            .iter()
            .map(|entry| ConsoleEntry {
                level: entry["level"].as_str().unwrap_or("?").to_string(),
                message: entry["message"].as_str().unwrap_or_default().to_string(),
            })
            .collect())
    }

    /// Waits until the app's service worker is active, its shell cache holds the app (index,
    /// script, wasm) and it controls the page; reloads once if the page stays uncontrolled.
    pub async fn wait_for_offline_shell(&self, timeout: Duration) -> Result<OfflineShell> {
        let start = Instant::now();
        let (caches, paths) = poll(
            "the service worker to be activated with a filled shell cache",
            timeout,
            async || {
                let state = match self.client.execute_async(SHELL_STATE_JS, Vec::new()).await {
                    Ok(state) => state,
                    Err(e) => return transient(e),
                };
                let caches: Vec<String> = strings(&state["caches"]);
                let paths: Vec<String> = strings(&state["paths"]);
                let filled = paths.iter().any(|p| p == "/index.html")
                    && paths.iter().any(|p| p.ends_with(".wasm"))
                    && paths.iter().any(|p| p.ends_with(".js"));
                if state["active"] == "activated" && filled {
                    Ok(Seen::Done((caches, paths)))
                } else {
                    Ok(Seen::Not(state.to_string()))
                }
            },
        )
        .await?;

        let controlled = "return navigator.serviceWorker.controller !== null;";
        let first_try = timeout
            .saturating_sub(start.elapsed())
            .min(Duration::from_secs(5));
        let reloaded = match self
            .wait_for_js(
                "the service worker to control the page",
                controlled,
                first_try,
            )
            .await
        {
            Ok(()) => false,
            Err(_) => {
                self.reload().await?;
                let left = timeout
                    .saturating_sub(start.elapsed())
                    .max(Duration::from_secs(5));
                self.wait_for_js(
                    "the service worker to control the page after one reload",
                    controlled,
                    left,
                )
                .await?;
                true
            }
        };
        Ok(OfflineShell {
            caches,
            paths,
            reloaded,
        })
    }
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Reports the service worker registration and the `kith-shell-*` caches.
const SHELL_STATE_JS: &str = r#"
const done = arguments[arguments.length - 1];
(async () => {
  const sw = navigator.serviceWorker;
  if (!sw) return { supported: false };
  const reg = await sw.getRegistration('/');
  const caches_ = (await caches.keys()).filter((name) => name.startsWith('kith-shell-'));
  const paths = [];
  for (const name of caches_) {
    const cache = await caches.open(name);
    for (const req of await cache.keys()) paths.push(new URL(req.url).pathname);
  }
  return {
    registered: !!reg,
    installing: reg && reg.installing ? reg.installing.state : null,
    waiting: reg && reg.waiting ? reg.waiting.state : null,
    active: reg && reg.active ? reg.active.state : null,
    controlled: sw.controller !== null,
    caches: caches_,
    paths,
  };
})().then(done, (e) => done({ error: String(e) }));
"#;

/// A chromedriver extension command: `POST /session/{id}/{path}` with a JSON body.
#[derive(Debug)]
struct SessionPost {
    path: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for SessionPost {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (hyper::Method, Option<String>) {
        (hyper::Method::POST, Some(self.body.to_string()))
    }
}

// ---------------------------------------------------------------------------------------------
// Chrome DevTools Protocol (benchmarks)
// ---------------------------------------------------------------------------------------------

impl Browser {
    /// Runs a Chrome DevTools Protocol command on the current page through chromedriver
    /// (`goog/cdp/execute`), e.g. `HeapProfiler.collectGarbage`; returns its result.
    pub async fn cdp(&self, command: &str, params: Value) -> Result<Value> {
        self.client
            .issue_cmd(SessionPost {
                path: "goog/cdp/execute",
                body: json!({ "cmd": command, "params": params }),
            })
            .await
            .with_context(|| format!("running the DevTools command {command}"))
    }
}
