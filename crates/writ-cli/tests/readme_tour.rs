//! The README's command-line tour, run as written: every ```` ```sh ````
//! block from "## A short tour on the sample" up to the next top-level
//! section, in order, in one bash session, in a fresh temporary folder,
//! with the debug `writ` first on `PATH`.
//!
//! - The working folder holds copies of `sample-policies/` and `scenarios/`
//!   (nothing is written into the repository); `../shared` (the reference
//!   folder beside the repository) is reachable as `../shared` from it when
//!   present, and cedar-agent as `target/tools/bin/cedar-agent` when
//!   installed (`$WRIT_CEDAR_AGENT`, else the repository's
//!   `target/tools/bin/cedar-agent`, where `.ci/run` puts it).
//! - A command whose trailing comment starts with `not-tested` is skipped,
//!   and nothing else is, except the commands that need cedar-agent or
//!   `../shared` when they are missing (with the reason printed; under `CI`
//!   a missing cedar-agent fails the test, since CI installs it, while a
//!   missing `../shared` is only reported), and the later commands that use what a skipped
//!   command would have made (its `--out` or `--name`, or `kill $!` of a
//!   server it would have started).
//! - A command exits 0 unless its trailing comment starts with `exit N`
//!   (`# exit 21: expired`): then exactly N. Any other code fails the test,
//!   naming the README line, the command, its stdout and stderr.
//! - The README's port (`127.0.0.1:8180`, `localhost:8180`, `--port 8180`)
//!   is replaced by a free port; after a command starting a server on it in
//!   the background, the test waits until the port answers (a person types
//!   more slowly than a script), and before one, until it is free again.
//! - `cargo run -q -p writ-tracegen -- ARGS` is run in-process through the
//!   `writ-tracegen` library with the same arguments (its binary is a thin
//!   wrapper over `load_model` and `write_trace`), since building another
//!   package from inside `cargo test` would be slow and would contend for
//!   the build lock.
//! - Some outputs the README states are asserted ([`output_checks`]), and
//!   the bundle swap of `writ serve` is awaited by polling `/v1/bundle`.
//!
//! Every process the commands start is in the shell's process group, which
//! is killed when the test ends, passed or failed.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use crate::common::{copy_dir, root};

/// The heading the tour starts at; it ends at the next `## ` heading.
const TOUR_HEADING: &str = "## A short tour on the sample";

/// The README's example port, replaced by a free one.
const README_PORT: u16 = 8180;

/// How long one command may take (the debug build replays 5,000 actions
/// in a few seconds).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// How long a background server may take to listen, or to go away.
const SERVER_TIMEOUT: Duration = Duration::from_secs(30);

/// How long `writ serve` may take to swap in a new bundle (the README says
/// about 2 s; it polls the path every second).
const SWAP_TIMEOUT: Duration = Duration::from_secs(20);

/// The tracegen invocation the README shows, run in-process.
const TRACEGEN_PREFIX: &str = "cargo run -q -p writ-tracegen -- ";

/// One command of the tour: possibly several README lines (a trailing
/// backslash, or a quoted string spanning lines).
#[derive(Debug, Clone)]
struct Step {
    /// The README line (1-based) the command starts on.
    line: usize,
    /// The command as written, comments included.
    text: String,
    /// The trailing comment of its last line, without the `#`.
    comment: Option<String>,
}

impl Step {
    /// Marked `# not-tested`.
    fn not_tested(&self) -> bool {
        self.comment.as_deref().is_some_and(|c| {
            c.trim()
                .strip_prefix("not-tested")
                .is_some_and(|rest| !rest.starts_with(|ch: char| ch.is_alphanumeric()))
        })
    }

    /// The exit code the README states (`# exit N...`), else 0.
    fn expected_exit(&self) -> i32 {
        let Some(rest) = self
            .comment
            .as_deref()
            .and_then(|c| c.trim().strip_prefix("exit "))
        else {
            return 0;
        };
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().unwrap_or_else(|_| {
            panic!(
                "README.md line {}: `# exit` needs the code as a number",
                self.line
            )
        })
    }

    /// The command without its trailing comments, for matching.
    fn command(&self) -> String {
        let mut out = Vec::new();
        let mut q = QuoteState::default();
        for l in self.text.lines() {
            let (_, comment_at) = scan_line(l, &mut q);
            out.push(comment_at.map_or(l, |i| &l[..i]).trim_end().to_string());
        }
        out.join("\n")
    }

    /// Starts a process in the background.
    fn is_background(&self) -> bool {
        self.command().trim_end().ends_with('&')
    }

    /// The values of `--out` and `--name`: what the command makes.
    fn products(&self) -> Vec<String> {
        let command = self.command();
        let words: Vec<&str> = command.split_whitespace().collect();
        words
            .windows(2)
            .filter(|w| w[0] == "--out" || w[0] == "--name")
            .map(|w| w[1].to_string())
            .collect()
    }
}

/// Quote state carried from one line of a command to the next.
#[derive(Debug, Default)]
struct QuoteState {
    single: bool,
    double: bool,
}

/// Scans one line: whether the command goes on to the next line, and the
/// byte offset of a trailing comment's `#`, if any.
fn scan_line(line: &str, q: &mut QuoteState) -> (bool, Option<usize>) {
    let mut chars = line.char_indices();
    let mut prev_blank = true;
    while let Some((i, c)) = chars.next() {
        if q.single {
            q.single = c != '\'';
        } else if q.double {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => q.double = false,
                _ => {}
            }
        } else {
            match c {
                // A backslash quotes the next character (the guard consumes
                // it); at the end of the line, the command goes on.
                '\\' if chars.next().is_none() => return (true, None),
                '\'' => q.single = true,
                '"' => q.double = true,
                '#' if prev_blank => return (false, Some(i)),
                _ => {}
            }
        }
        prev_blank = c.is_whitespace();
    }
    (q.single || q.double, None)
}

/// The tour's commands, in order.
fn tour_steps(readme: &str) -> Vec<Step> {
    let lines: Vec<&str> = readme.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim_end() == TOUR_HEADING)
        .unwrap_or_else(|| panic!("README.md has no heading {TOUR_HEADING:?}"));
    let mut steps = Vec::new();
    let mut in_block = false;
    let mut pending: Option<(Step, QuoteState)> = None;
    for (i, l) in lines.iter().enumerate().skip(start + 1) {
        let number = i + 1;
        if !in_block && l.starts_with("## ") {
            break;
        }
        let fence = l.trim_start().starts_with("```");
        if !in_block {
            in_block = fence && l.trim_start().trim_start_matches('`').trim() == "sh";
            continue;
        }
        if fence && pending.is_none() {
            in_block = false;
            continue;
        }
        let (mut step, mut q) = match pending.take() {
            Some(p) => p,
            None => {
                let t = l.trim();
                if t.is_empty() || t.starts_with('#') {
                    continue;
                }
                (
                    Step {
                        line: number,
                        text: String::new(),
                        comment: None,
                    },
                    QuoteState::default(),
                )
            }
        };
        if !step.text.is_empty() {
            step.text.push('\n');
        }
        step.text.push_str(l);
        let (continues, comment_at) = scan_line(l, &mut q);
        if continues {
            pending = Some((step, q));
        } else {
            step.comment = comment_at.map(|c| l[c + 1..].trim().to_string());
            steps.push(step);
        }
    }
    if let Some((step, _)) = pending {
        panic!(
            "README.md line {}: the command never ends (an open quote?)",
            step.line
        );
    }
    steps
}

/// What a command needs that may be missing.
fn requirement(command: &str) -> Option<&'static str> {
    if command.contains("../shared") {
        Some("shared")
    } else if command.contains("target/tools/bin/cedar-agent")
        || (command.contains("push cedar-agent") && !command.contains("--dry-run"))
    {
        Some("cedar-agent")
    } else {
        None
    }
}

/// A stated output: the command it belongs to, and lines that must appear
/// in its stdout (each given as parts the one line must all contain).
struct OutputCheck {
    /// Which command (no version ids here: they change with the sample).
    command: fn(&Step) -> bool,
    /// Each entry: one stdout line must contain all these parts.
    lines: &'static [&'static [&'static str]],
}

/// The outputs the README states that are checked. Each must match
/// exactly one command of the tour.
fn output_checks() -> Vec<OutputCheck> {
    vec![
        OutputCheck {
            command: |s| s.command() == "writ check $S",
            lines: &[&["ok (3 policies, 0 agents, 0 tools, 0 warning(s))"]],
        },
        OutputCheck {
            command: |s| s.command().starts_with("writ test $S/requests/tests.json"),
            lines: &[&["8 passed, 0 failed"]],
        },
        OutputCheck {
            command: |s| s.command().starts_with("curl") && s.command().contains("Document::"),
            lines: &[&[
                "\"decision\":\"Allow\"",
                "\"reason\":[\"bob-views-roadmap\"]",
            ]],
        },
        OutputCheck {
            command: |s| s.command().starts_with("writ test scenarios/ --junit"),
            lines: &[&["80 passed, 0 failed"]],
        },
        OutputCheck {
            command: |s| {
                s.command()
                    == "writ diff --from sample-policies/v1 --to sample-policies/v2 \
                        --traces scenarios/traces/recorded.jsonl"
            },
            // 1014 changed, 887 of them allow -> deny; the forbid that lost
            // its action scope first, with 780.
            lines: &[
                &["all actions", "1014", "887"],
                &["low-tier-no-production-changes", "780"],
            ],
        },
        OutputCheck {
            command: |s| {
                let c = s.command();
                c.starts_with("writ replay --version") && c.contains("week-46")
            },
            lines: &[&["stored run 3 "]],
        },
        OutputCheck {
            command: |s| {
                s.command()
                    .starts_with("writ version commit sample-policies/v2")
            },
            lines: &[&["unchanged", "nothing new was stored"]],
        },
        OutputCheck {
            command: |s| s.command() == "writ diff --runs 1 2",
            lines: &[&["all actions", "1014", "887"]],
        },
        OutputCheck {
            command: |s| s.command() == "writ test --suite all",
            lines: &[&["80 passed, 0 failed"]],
        },
        OutputCheck {
            // The first review of v2 (its comment says so).
            command: |s| {
                s.command().starts_with("writ review ")
                    && s.comment
                        .as_deref()
                        .is_some_and(|c| c.starts_with("v2 against v1"))
            },
            lines: &[
                &["1014 of 2400 actions change: 887 allow -> deny"],
                &["critical agents whose decisions change: deploy-agent, incident-responder"],
            ],
        },
        OutputCheck {
            command: |s| {
                s.command().starts_with("writ review ")
                    && s.comment
                        .as_deref()
                        .is_some_and(|c| c.starts_with("v1: no baseline yet"))
            },
            lines: &[&["approvers needed: 1"]],
        },
        OutputCheck {
            command: |s| {
                s.command().starts_with("writ approve ")
                    && s.comment.as_deref() == Some("recorded, still in review")
            },
            lines: &[&["approval by bob recorded", "stays in review"]],
        },
        OutputCheck {
            command: |s| {
                let c = s.command();
                c.starts_with("writ approve ") && c.ends_with("--key $K/carol.pem")
            },
            lines: &[&["approved by bob and carol"]],
        },
        OutputCheck {
            command: |s| {
                let c = s.command();
                c.starts_with("writ push cedar-agent")
                    && c.contains("v1-bundle")
                    && !c.contains("--dry-run")
            },
            lines: &[&["pushed", "it holds 23 policies"]],
        },
        OutputCheck {
            command: |s| s.command() == "writ traces show helm-jaeger",
            lines: &[&["helm_agent", "helm_list_releases"]],
        },
        OutputCheck {
            command: |s| s.command().starts_with("curl") && s.command().contains("support-bot"),
            lines: &[&["\"decision\":\"Allow\"", "support-read-tickets"]],
        },
    ]
}

/// A finished command.
struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

/// One bash process, in its own process group; the group is killed on
/// drop (with every server the commands started).
struct Shell {
    child: Child,
    stdin: ChildStdin,
    done: Receiver<String>,
    io: PathBuf,
    count: usize,
}

impl Shell {
    /// Starts `bash` in `work`, with `bin` first on `PATH`, no workspace,
    /// user or key from the environment, and `USER` set.
    fn start(work: &Path, io: &Path, bin: &Path) -> Shell {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![bin.to_path_buf()];
        dirs.extend(std::env::split_paths(&path));
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc"])
            .current_dir(work)
            .env("PATH", std::env::join_paths(dirs).expect("PATH"))
            .env("USER", "tour-reader")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(
                std::fs::File::create(io.join("bash.stderr")).expect("bash stderr file"),
            ))
            .process_group(0);
        for v in [
            "WRIT_WORKSPACE",
            "WRIT_USER",
            "WRIT_KEY",
            "WRIT_KEY_PASSPHRASE",
            "WRIT_CEDAR_AGENT_TOKEN",
        ] {
            cmd.env_remove(v);
        }
        // cedar-agent reads these over its arguments.
        for v in [
            "AUTHENTICATION",
            "ADDR",
            "PORT",
            "LOG_LEVEL",
            "DATA",
            "POLICIES",
            "SCHEMA",
        ] {
            cmd.env_remove(v).env_remove(format!("CEDAR_AGENT_{v}"));
        }
        let mut child = cmd.spawn().expect("bash starts");
        let stdin = child.stdin.take().expect("bash stdin");
        let stdout = child.stdout.take().expect("bash stdout");
        let (tx, done) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut shell = Shell {
            child,
            stdin,
            done,
            io: io.to_path_buf(),
            count: 0,
        };
        writeln!(shell.stdin, "set -o pipefail").expect("write to bash");
        shell
    }

    /// Runs `text` in the session (variables and jobs persist), its
    /// output in files, stdin from /dev/null.
    fn run(&mut self, text: &str) -> Result<Outcome, String> {
        self.count += 1;
        let n = self.count;
        let out = self.io.join(format!("{n}.stdout"));
        let err = self.io.join(format!("{n}.stderr"));
        let script = format!(
            "{{\n{text}\n}} >'{}' 2>'{}' </dev/null\necho \"writ-tour-done {n} $?\"\n",
            out.display(),
            err.display()
        );
        self.stdin
            .write_all(script.as_bytes())
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("bash is gone ({e})"))?;
        let started = Instant::now();
        let code = loop {
            let left = COMMAND_TIMEOUT.saturating_sub(started.elapsed());
            match self.done.recv_timeout(left) {
                Ok(line) => {
                    let mut words = line.split_whitespace();
                    if words.next() == Some("writ-tour-done")
                        && words.next() == Some(n.to_string().as_str())
                    {
                        break words.next().and_then(|c| c.parse().ok()).unwrap_or(-1);
                    }
                }
                Err(_) => {
                    return Err(format!(
                        "no end within {} s{}",
                        COMMAND_TIMEOUT.as_secs(),
                        self.bash_stderr()
                    ))
                }
            }
        };
        let read = |p: &Path| {
            std::fs::read(p)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        };
        Ok(Outcome {
            code,
            stdout: read(&out),
            stderr: read(&err),
        })
    }

    /// What bash itself wrote to stderr (syntax errors), labelled.
    fn bash_stderr(&self) -> String {
        let text = std::fs::read_to_string(self.io.join("bash.stderr")).unwrap_or_default();
        if text.trim().is_empty() {
            String::new()
        } else {
            format!("\n--- bash\n{text}")
        }
    }

    /// The stderr file of the command run `n`th (a background server
    /// keeps writing there).
    fn stderr_of(&self, n: usize) -> String {
        std::fs::read_to_string(self.io.join(format!("{n}.stderr"))).unwrap_or_default()
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        let group = -(self.child.id() as i32);
        // SAFETY: kill(2) with a negative pid signals the process group
        // this test made for bash (process_group(0)); no memory is shared.
        unsafe { libc::kill(group, libc::SIGTERM) };
        let started = Instant::now();
        loop {
            let _ = self.child.try_wait();
            // SAFETY: signal 0 only asks whether the group still exists.
            let alive = unsafe { libc::kill(group, 0) } == 0;
            if !alive || started.elapsed() > Duration::from_secs(3) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // SAFETY: as above; whatever did not stop on SIGTERM is killed.
        unsafe { libc::kill(group, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

/// A port nobody listens on: bound to port 0, read, closed.
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    l.local_addr().expect("local address").port()
}

/// Whether something accepts connections on 127.0.0.1:`port`.
fn listening(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

/// Polls until `listening(port) == want`, up to [`SERVER_TIMEOUT`].
fn wait_port(port: u16, want: bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < SERVER_TIMEOUT {
        if listening(port) == want {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// The README command with the example port replaced by `port` wherever
/// it follows `127.0.0.1:`, `localhost:` or `--port ` (and no digit
/// follows it).
fn with_port(text: &str, port: u16) -> String {
    let mut out = String::new();
    let mut rest = text;
    'scan: while !rest.is_empty() {
        for prefix in ["127.0.0.1:", "localhost:", "--port "] {
            let example = format!("{prefix}{README_PORT}");
            if let Some(after) = rest.strip_prefix(&example) {
                if !after.starts_with(|c: char| c.is_ascii_digit()) {
                    out.push_str(&format!("{prefix}{port}"));
                    rest = after;
                    continue 'scan;
                }
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}

/// Runs `cargo run -q -p writ-tracegen -- ARGS` through the library, with
/// ARGS' paths relative to `work`.
fn run_tracegen(args: &str, work: &Path) -> Result<String, String> {
    let words: Vec<&str> = args.split_whitespace().collect();
    let (mut model, mut seed, mut count, mut out) = (None, 42u64, 2400usize, None);
    let mut it = words.iter();
    while let Some(w) = it.next() {
        let mut value = || {
            it.next()
                .copied()
                .ok_or_else(|| format!("{w} needs a value"))
        };
        match *w {
            "--model" => model = Some(work.join(value()?)),
            "--seed" => seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--count" => count = value()?.parse().map_err(|e| format!("--count: {e}"))?,
            "--out" => out = Some(work.join(value()?)),
            other => return Err(format!("argument {other:?} is not run in-process")),
        }
    }
    let model = model.ok_or("--model is missing")?;
    let out = out.ok_or("--out is missing (stdout is not run in-process)")?;
    let m = writ_tracegen::load_model(&model).map_err(|e| e.to_string())?;
    let mut file = std::io::BufWriter::new(
        std::fs::File::create(&out).map_err(|e| format!("{}: {e}", out.display()))?,
    );
    writ_tracegen::write_trace(
        &m,
        seed,
        writ_tracegen::Variant::Realistic,
        count,
        &mut file,
    )
    .map_err(|e| e.to_string())?;
    file.flush().map_err(|e| e.to_string())?;
    Ok(format!("{count} actions written to {}", out.display()))
}

/// After `... && mv staged live`: polls `/v1/bundle` until the version the
/// command exported is active, then checks the sequence the README states
/// (`sequence N` in the comment).
fn await_swap(step: &Step, port: u16, work: &Path) -> Result<String, String> {
    let words: Vec<String> = step
        .command()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let version = words
        .windows(3)
        .find(|w| w[0] == "bundle" && w[1] == "export")
        .map(|w| w[2].clone())
        .ok_or("the swap command exports no version")?;
    let token = std::fs::read_to_string(work.join("gateway.token"))
        .map_err(|e| format!("gateway.token: {e}"))?;
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(5)))
            .build(),
    );
    let started = Instant::now();
    let mut last = String::new();
    while started.elapsed() < SWAP_TIMEOUT {
        let answer = agent
            .get(format!("http://127.0.0.1:{port}/v1/bundle"))
            .header("Authorization", format!("Bearer {}", token.trim()))
            .call();
        if let Ok(mut r) = answer {
            last = r.body_mut().read_to_string().unwrap_or_default();
            let v: serde_json::Value = serde_json::from_str(&last).unwrap_or_default();
            let active = &v["active"];
            if active["version"]
                .as_str()
                .is_some_and(|a| a.starts_with(&version))
            {
                let sequence = active["sequence"].as_u64();
                let stated = step.comment.as_deref().and_then(|c| {
                    let rest = &c[c.find("sequence ")? + "sequence ".len()..];
                    let d: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    d.parse::<u64>().ok()
                });
                if let Some(n) = stated {
                    if sequence != Some(n) {
                        return Err(format!(
                            "the README says sequence {n}; /v1/bundle says {sequence:?}: {last}"
                        ));
                    }
                }
                return Ok(format!(
                    "swapped in after {:.1} s (sequence {})",
                    started.elapsed().as_secs_f64(),
                    sequence.map_or("?".to_string(), |s| s.to_string())
                ));
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(format!(
        "version {version} was not active within {} s; /v1/bundle: {last}",
        SWAP_TIMEOUT.as_secs()
    ))
}

/// The cedar-agent binary, or why it is missing.
fn cedar_agent() -> Result<PathBuf, String> {
    let path = std::env::var_os("WRIT_CEDAR_AGENT")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/tools/bin/cedar-agent"));
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "cedar-agent is missing at {} (install it as .ci/run does, or set WRIT_CEDAR_AGENT)",
            path.display()
        ))
    }
}

/// The folder beside the repository, or why it is missing.
fn shared() -> Result<PathBuf, String> {
    let path = root().join("../shared");
    if path.is_dir() {
        Ok(path)
    } else {
        Err(format!("{} is missing", path.display()))
    }
}

/// The stated outputs of `step`'s stdout that are missing, if any.
fn check_outputs(checks: &[OutputCheck], step: &Step, stdout: &str) -> Vec<String> {
    let mut missing = Vec::new();
    for c in checks.iter().filter(|c| (c.command)(step)) {
        for parts in c.lines {
            if !stdout.lines().any(|l| parts.iter().all(|p| l.contains(p))) {
                missing.push(format!("a line with {parts:?}"));
            }
        }
    }
    missing
}

/// The failure message for a step.
fn report(step: &Step, what: &str, stdout: &str, stderr: &str) -> String {
    format!(
        "README.md line {}: {what}\n--- command\n{}\n--- stdout\n{}\n--- stderr\n{}",
        step.line, step.text, stdout, stderr
    )
}

#[test]
fn readme_tour_runs_as_written() {
    let started = Instant::now();
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let steps = tour_steps(&readme);
    assert!(steps.len() > 50, "the tour has {} commands", steps.len());

    let temp = tempfile::tempdir().expect("tempdir");
    let work = temp.path().join("work");
    let io = temp.path().join("io");
    std::fs::create_dir_all(&io).expect("io folder");
    copy_dir(
        &root().join("sample-policies"),
        &work.join("sample-policies"),
    );
    copy_dir(&root().join("scenarios"), &work.join("scenarios"));
    let shared = shared().map(|p| {
        std::os::unix::fs::symlink(&p, temp.path().join("shared")).expect("link ../shared");
    });
    let agent = cedar_agent().map(|p| {
        let bin = work.join("target/tools/bin");
        std::fs::create_dir_all(&bin).expect("target/tools/bin");
        std::os::unix::fs::symlink(&p, bin.join("cedar-agent")).expect("link cedar-agent");
    });
    let missing = |need: &str| -> Option<String> {
        match need {
            "shared" => shared.as_ref().err().cloned(),
            _ => agent.as_ref().err().cloned(),
        }
    };

    let port = free_port();
    let writ = PathBuf::from(env!("CARGO_BIN_EXE_writ"));
    let mut shell = Shell::start(&work, &io, writ.parent().expect("writ's folder"));
    let checks = output_checks();
    let mut skipped: Vec<String> = Vec::new();
    let mut not_tested: Vec<usize> = Vec::new();
    let mut unmade: BTreeSet<String> = BTreeSet::new();
    let mut skipped_server: Option<usize> = None;

    for step in &steps {
        let command = step.command();
        if step.not_tested() {
            println!("line {}: not-tested: {command}", step.line);
            not_tested.push(step.line);
            continue;
        }
        let reason = requirement(&command)
            .and_then(&missing)
            .or_else(|| {
                let words: BTreeSet<String> =
                    command.split_whitespace().map(str::to_string).collect();
                words
                    .intersection(&unmade)
                    .next()
                    .map(|w| format!("needs {w}, which a skipped command makes"))
            })
            .or_else(|| {
                (command == "kill $!")
                    .then_some(skipped_server)
                    .flatten()
                    .map(|l| format!("stops the server of line {l}, which was skipped"))
            });
        if let Some(reason) = reason {
            println!("line {}: SKIPPED ({reason}): {command}", step.line);
            skipped.push(format!("line {}: {reason}", step.line));
            unmade.extend(step.products());
            if step.is_background() {
                skipped_server = Some(step.line);
            } else if command == "kill $!" {
                skipped_server = None;
            }
            continue;
        }
        let expected = step.expected_exit();
        let (code, stdout, stderr) = if let Some(args) = command.strip_prefix(TRACEGEN_PREFIX) {
            match run_tracegen(args, &work) {
                Ok(note) => (
                    0,
                    format!("{note} (writ-tracegen run in-process)\n"),
                    String::new(),
                ),
                Err(e) => (1, String::new(), e),
            }
        } else {
            let text = with_port(&step.text, port);
            let server = step.is_background() && text != step.text;
            if server {
                assert!(
                    wait_port(port, false),
                    "README.md line {}: port {port} is still taken by an earlier server",
                    step.line
                );
            }
            let o = shell
                .run(&text)
                .unwrap_or_else(|e| panic!("{}", report(step, &e, "", "")));
            if server {
                skipped_server = None;
                assert!(
                    wait_port(port, true),
                    "{}",
                    report(
                        step,
                        &format!("the server never listened on port {port}"),
                        &o.stdout,
                        &shell.stderr_of(shell.count)
                    )
                );
            }
            (o.code, o.stdout, o.stderr)
        };
        println!(
            "line {}: exit {code}{}: {command}",
            step.line,
            if expected == 0 { "" } else { " (as stated)" }
        );
        if code != expected {
            panic!(
                "{}",
                report(
                    step,
                    &format!("exit {code}, the README says {expected}"),
                    &stdout,
                    &format!("{stderr}{}", shell.bash_stderr())
                )
            );
        }
        let missing = check_outputs(&checks, step, &stdout);
        assert!(
            missing.is_empty(),
            "{}",
            report(
                step,
                &format!("the stated output is missing: {}", missing.join("; ")),
                &stdout,
                &stderr
            )
        );
        if command.contains("mv staged live") {
            match await_swap(step, port, &work) {
                Ok(note) => println!("line {}: {note}", step.line),
                Err(e) => panic!("{}", report(step, &e, &stdout, &stderr)),
            }
        }
    }

    // Each stated output belongs to exactly one command that ran (or was
    // skipped, reported below): a reworded README must not silently drop
    // a check.
    for c in &checks {
        let matching = steps
            .iter()
            .filter(|s| !s.not_tested() && (c.command)(s))
            .count();
        assert_eq!(
            matching, 1,
            "output check {:?} matches {matching} commands of the tour",
            c.lines
        );
    }
    assert!(
        !not_tested.is_empty(),
        "no command is marked not-tested: the build line should be"
    );
    println!(
        "the README tour: {} commands, {} not-tested (lines {not_tested:?}), {} skipped, in {:.1} s",
        steps.len(),
        not_tested.len(),
        skipped.len(),
        started.elapsed().as_secs_f64()
    );
    if !skipped.is_empty() {
        let list = skipped.join("\n  ");
        // CI installs cedar-agent, so missing it there is a failure; the
        // reference folder `../shared` may be absent anywhere (the lines
        // that read it are then reported skipped, never passed).
        if std::env::var_os("CI").is_some() && agent.is_err() {
            panic!("under CI cedar-agent must be installed; skipped:\n  {list}");
        }
        eprintln!("skipped:\n  {list}");
    }
}

#[test]
fn markers_and_continuations_are_read() {
    let readme = "intro\n## A short tour on the sample\n```sh\n\
                  cargo build   # not-tested\n\
                  # a comment's apostrophe: Cedar's\n\
                  writ a \\\n  --b   # exit 21: expired\n\
                  curl -d '{\"x\":\n  1}'\n\
                  writ c # not-testedness\n\
                  ```\n### more\n```sh\nwrit d &\n```\n## Layout\n```sh\nwrit e\n```\n";
    let steps = tour_steps(readme);
    let lines: Vec<usize> = steps.iter().map(|s| s.line).collect();
    assert_eq!(lines, [4, 6, 8, 10, 14], "{steps:?}");
    assert!(steps[0].not_tested());
    assert!(!steps[3].not_tested(), "a longer word is not the marker");
    assert_eq!(steps[1].expected_exit(), 21);
    assert_eq!(steps[1].command(), "writ a \\\n  --b");
    assert_eq!(steps[2].expected_exit(), 0);
    assert!(steps[2].text.ends_with("1}'"));
    assert!(steps[4].is_background());
    assert_eq!(
        with_port(
            "curl localhost:8180/x --port 8180 127.0.0.1:81800 -n 8180",
            9
        ),
        "curl localhost:9/x --port 9 127.0.0.1:81800 -n 8180"
    );
}
