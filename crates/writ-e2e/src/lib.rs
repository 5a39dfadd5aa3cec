//! Harness for the end-to-end tests of Writ's desktop app: starts
//! `tauri-driver` (which starts WebKitWebDriver, which starts the real
//! `writ-app` binary), opens a WebDriver session on the app's window, and
//! stops everything on drop.
//!
//! When something the tests need is missing (the app binary, tauri-driver,
//! WebKitWebDriver, a display), [`Harness::start`] panics with what to do
//! if `CI` is set, and otherwise prints `skipped: ...` and returns `None`.

use fantoccini::{Client, ClientBuilder, Locator};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long to wait for anything to appear.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crate is inside the workspace")
        .to_path_buf()
}

/// The cargo target directory (`CARGO_TARGET_DIR` or `<root>/target`).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => {
            let d = PathBuf::from(d);
            if d.is_absolute() {
                d
            } else {
                workspace_root().join(d)
            }
        }
        None => workspace_root().join("target"),
    }
}

/// A debug binary built by `cargo build -p <package>`.
pub fn debug_binary(name: &str) -> PathBuf {
    target_dir().join("debug").join(name)
}

/// The `writ` CLI binary (`target/debug/writ`, built by
/// `cargo build -p writ-cli`), for tests that compare the window with the
/// CLI or make their workspaces with it.
///
/// When it is missing this fails the test under `CI` (panics with what to
/// do), and otherwise prints `skipped: ...` and returns `None`, so the
/// caller returns early: `let Some(writ) = writ_cli() else { return };`.
pub fn writ_cli() -> Option<PathBuf> {
    let writ = debug_binary("writ");
    if writ.is_file() {
        return Some(writ);
    }
    if std::env::var_os("CI").is_some() {
        panic!("{} is missing; `cargo build -p writ-cli`", writ.display());
    }
    println!(
        "skipped: {} is missing; `cargo build -p writ-cli`",
        writ.display()
    );
    None
}

/// Runs the `writ` CLI and returns its standard output; panics (failing the
/// test) with its standard error when it exits with an error.
pub fn cli(writ: &Path, args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new(writ)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", writ.display()));
    assert!(
        out.status.success(),
        "writ {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("writ prints UTF-8")
}

/// `writ init --sample` at `path`.
pub fn sample_workspace(writ: &Path, path: &Path) {
    cli(
        writ,
        &[
            "init".as_ref(),
            "--sample".as_ref(),
            "--workspace".as_ref(),
            path.as_os_str(),
        ],
    );
}

/// The trace sets `writ traces list` prints for workspace `ws`: (name, actions).
pub fn cli_trace_sets(writ: &Path, ws: &Path) -> Vec<(String, u64)> {
    cli(
        writ,
        &[
            "traces".as_ref(),
            "list".as_ref(),
            "--workspace".as_ref(),
            ws.as_os_str(),
        ],
    )
    .lines()
    .map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f[1].to_string(), f[2].parse().expect("an action count"))
    })
    .collect()
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(home).join("bin"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

/// Fails (under CI) or reports a skip (locally).
fn missing(what: &str) -> Option<Harness> {
    if std::env::var_os("CI").is_some() {
        panic!("end-to-end test cannot run: {what}");
    }
    println!("skipped: {what}");
    None
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// A running tauri-driver with a WebDriver session on the app.
pub struct Harness {
    /// The WebDriver client (the app's window).
    pub client: Client,
    driver: Child,
    /// The app data home (fresh for each harness: the sample is created anew).
    _data: tempfile::TempDir,
}

impl Harness {
    /// Starts tauri-driver and the app, or returns `None` after printing
    /// `skipped: ...` when a prerequisite is missing (panics under `CI`).
    pub async fn start() -> Option<Harness> {
        Self::start_with(&[], &[]).await
    }

    /// Like [`Harness::start`], with command-line arguments for the app
    /// (`writ-app ARGS...`) and extra environment variables for it (set on
    /// tauri-driver, which the app inherits), e.g. `WRIT_TEST_DIALOG_ANSWERS`.
    pub async fn start_with(args: &[String], env: &[(&str, &std::ffi::OsStr)]) -> Option<Harness> {
        let app = debug_binary("writ-app");
        if !app.is_file() {
            return missing(&format!(
                "{} is missing; build it with `cd ui && npm ci && npm run build && cd .. && cargo build -p writ-app`",
                app.display()
            ));
        }
        let Some(driver_bin) = find_on_path("tauri-driver") else {
            return missing(
                "tauri-driver is not installed; `cargo install tauri-driver --locked --version 2.1.0`",
            );
        };
        if find_on_path("WebKitWebDriver").is_none() {
            return missing(
                "WebKitWebDriver is not installed; `apt-get install webkit2gtk-driver`",
            );
        }
        if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
            return missing("no display; run the tests under `xvfb-run -a`");
        }

        let data = tempfile::tempdir().expect("temporary data dir");
        let port = free_port();
        let native_port = free_port();
        let driver = Command::new(&driver_bin)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            // The app keeps its workspace under $XDG_DATA_HOME/<identifier>:
            // a fresh one per test, so each test sees the sample as created.
            .env("XDG_DATA_HOME", data.path())
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", driver_bin.display()));
        let mut guard = DriverGuard(Some(driver));

        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                Instant::now() < deadline,
                "tauri-driver did not listen on port {port} within 20 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        let caps: serde_json::Map<String, serde_json::Value> = serde_json::from_value(
            serde_json::json!({"tauri:options": {"application": app.display().to_string(), "args": args}}),
        )
        .expect("capabilities");
        // tauri-driver listens before the WebKitWebDriver it starts behind
        // it does; a session asked for in between fails to connect, so the
        // request is repeated a few times (under load that takes seconds).
        let mut attempt = 0;
        let client = loop {
            attempt += 1;
            match ClientBuilder::native()
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(e) if attempt < 5 => {
                    eprintln!("WebDriver session attempt {attempt} failed ({e}); retrying");
                    tokio::time::sleep(Duration::from_millis(500 * attempt)).await;
                }
                Err(e) => panic!("no WebDriver session on the app after {attempt} attempts: {e}"),
            }
        };
        Some(Harness {
            client,
            driver: guard.0.take().expect("driver"),
            _data: data,
        })
    }

    /// The app data dir of this run (`$XDG_DATA_HOME/dev.writ.workbench`):
    /// the sample workspace and the recent-workspaces list live there.
    pub fn app_data_dir(&self) -> PathBuf {
        self._data.path().join("dev.writ.workbench")
    }

    /// Waits for an element matching `css`.
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(TIMEOUT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("`{css}` did not appear within {TIMEOUT:?}: {e}"))
    }

    /// Clicks the element matching `css`, waiting for it to appear first
    /// (up to [`TIMEOUT`]).
    pub async fn click(&self, css: &str) {
        self.wait_for(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("could not click `{css}`: {e}"));
    }

    /// Replaces the text of the input matching `css` (waiting for it):
    /// WebDriver's clear, then `text` typed in.
    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.wait_for(css).await;
        e.clear()
            .await
            .unwrap_or_else(|err| panic!("could not clear `{css}`: {err}"));
        e.send_keys(text)
            .await
            .unwrap_or_else(|err| panic!("could not type into `{css}`: {err}"));
    }

    /// The trimmed `textContent` of every element matching `css`, read in
    /// one script call (unlike [`Harness::texts`], this also reads text
    /// WebDriver considers hidden, e.g. the virtual tables' cells inside a
    /// transformed block, which read as empty). Empty when nothing matches.
    pub async fn contents(&self, css: &str) -> Vec<String> {
        let v = self
            .client
            .execute(
                "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.textContent.trim());",
                vec![serde_json::json!(css)],
            )
            .await
            .unwrap_or_else(|e| panic!("could not read the text of `{css}`: {e}"));
        serde_json::from_value(v).unwrap_or_default()
    }

    /// Waits until an element matching `css` has text containing `want`;
    /// returns that element's whole text.
    pub async fn wait_text(&self, css: &str, want: &str) -> String {
        self.poll(&format!("`{css}` to contain `{want}`"), || async {
            self.texts(css).await.into_iter().find(|t| t.contains(want))
        })
        .await
    }

    /// Scrolls the element matching `css` (waiting for it) to the top of
    /// the view.
    pub async fn scroll_to(&self, css: &str) {
        let e = self.wait_for(css).await;
        self.client
            .execute(
                "arguments[0].scrollIntoView({block: 'start'});",
                vec![serde_json::to_value(e).expect("element reference")],
            )
            .await
            .unwrap_or_else(|e| panic!("could not scroll to `{css}`: {e}"));
    }

    /// The current `value` of the form field matching `css` (a select's
    /// chosen option, an input's text), read by script: WebDriver's
    /// attribute reads give the initial value, not the current one.
    pub async fn value(&self, css: &str) -> String {
        self.wait_for(css).await;
        self.client
            .execute(
                "return document.querySelector(arguments[0]).value;",
                vec![serde_json::json!(css)],
            )
            .await
            .unwrap_or_else(|e| panic!("could not read the value of `{css}`: {e}"))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The attribute `name` of the element matching `css` (waiting for the
    /// element), or `None` when it has no such attribute. Inside
    /// [`Harness::poll`], where the element may not be there yet, look it
    /// up without waiting instead.
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.wait_for(css)
            .await
            .attr(name)
            .await
            .unwrap_or_else(|e| panic!("could not read {name} of `{css}`: {e}"))
    }

    /// The attribute `name` of every element matching `css` that has it,
    /// in document order (none matching: empty).
    pub async fn attr_all(&self, css: &str, name: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Ok(elements) = self.client.find_all(Locator::Css(css)).await {
            for e in elements {
                if let Ok(Some(v)) = e.attr(name).await {
                    out.push(v);
                }
            }
        }
        out
    }

    /// Polls until `check` returns `Some`, failing with `what` after [`TIMEOUT`].
    pub async fn poll<T, F, Fut>(&self, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(v) = check().await {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {TIMEOUT:?} waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The text of every element matching `css`.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Ok(elements) = self.client.find_all(Locator::Css(css)).await {
            for e in elements {
                if let Ok(t) = e.text().await {
                    out.push(t);
                }
            }
        }
        out
    }

    /// Saves a PNG of the window as `target/e2e-screenshots/<name>.png`,
    /// and also into `docs/screenshots/` when `WRIT_E2E_UPDATE_SCREENSHOTS`
    /// is set (the committed pictures the READMEs show).
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let mut dirs = vec![target_dir().join("e2e-screenshots")];
        if std::env::var_os("WRIT_E2E_UPDATE_SCREENSHOTS").is_some() {
            dirs.push(workspace_root().join("docs/screenshots"));
        }
        for dir in dirs {
            std::fs::create_dir_all(&dir).expect("screenshot dir");
            let path = dir.join(format!("{name}.png"));
            std::fs::write(&path, &png).expect("write screenshot");
            println!("screenshot: {}", path.display());
        }
    }

    /// Ends the session and stops tauri-driver (and with it the app).
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        stop(&mut self.driver);
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        stop(&mut self.driver);
    }
}

/// Stops tauri-driver if startup fails half-way.
struct DriverGuard(Option<Child>);

impl Drop for DriverGuard {
    fn drop(&mut self) {
        if let Some(c) = self.0.as_mut() {
            stop(c);
        }
    }
}

/// SIGTERM (not SIGKILL: tauri-driver must stop WebKitWebDriver too), then wait.
fn stop(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let _ = Command::new("kill")
        .arg(child.id().to_string())
        .stderr(Stdio::null())
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}
