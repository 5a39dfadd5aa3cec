//! `writ suites ...`: scenario suites stored in the workspace, and
//! `writ test --suite NAME|all`, which runs them against stored versions
//! and trace sets.

use crate::output::GlobalArgs;
use anyhow::Context as _;
use std::path::PathBuf;
use std::process::ExitCode;
use writ_store::suites::{NewSuite, Overrides, SuiteRun, ALL};

/// `writ suites ...`.
#[derive(clap::Subcommand)]
pub enum SuitesCommand {
    /// Store a scenario file as a suite, bound to a version and a trace set
    /// (the file's own `project` and `traces` paths are not used).
    Add {
        /// The scenario file (`*.toml`).
        file: PathBuf,
        /// The suite's name (default: the file name without `.toml`).
        #[arg(long)]
        name: Option<String>,
        /// The version its cases run against (id or unique prefix).
        #[arg(long)]
        version: Option<String>,
        /// The trace set its `line = N` cases point into (name or id).
        #[arg(long)]
        traces: Option<String>,
        /// Replace the suite of that name (text and bindings).
        #[arg(long)]
        replace: bool,
    },
    /// Decide one request against a version and add it to a suite as a
    /// case expecting that decision (what the workbench's "Save as test
    /// case" does): pins today's decision so a later version that decides
    /// otherwise fails the suite.
    AddCase {
        /// The suite's name.
        suite: String,
        /// The case's name: what it pins.
        #[arg(long)]
        name: String,
        /// The request: a file holding one trace record (Writ's native JSON
        /// line format), or `-` for standard input.
        #[arg(long, value_name = "FILE")]
        record: PathBuf,
        /// The version that decides it (default: the suite's bound version).
        #[arg(long)]
        version: Option<String>,
    },
    /// List the suites: name, bound version and trace set, cases.
    List,
    /// Remove a suite.
    Remove {
        /// The suite's name.
        name: String,
    },
}

/// Runs a suites subcommand.
pub fn suites(cmd: SuitesCommand, g: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let mut ws = g.open()?;
    match cmd {
        SuitesCommand::Add {
            file,
            name,
            version,
            traces,
            replace,
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let name = match name {
                Some(n) => n,
                None => file
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .context("the file has no name; give the suite one with --name")?,
            };
            let source = file.display().to_string();
            let new = NewSuite {
                name: &name,
                text: &text,
                source: &source,
                version: version.as_deref(),
                traces: traces.as_deref(),
            };
            let info = if replace {
                ws.replace_suite(&new, &g.actor())?
            } else {
                ws.add_suite(&new, &g.actor())?
            };
            println!(
                "{} suite {} ({} cases){}{}",
                if replace { "replaced" } else { "added" },
                info.name,
                info.cases,
                info.version
                    .as_deref()
                    .map(|v| format!(", version {}", &v[..12]))
                    .unwrap_or_default(),
                info.set_name
                    .as_deref()
                    .map(|s| format!(", trace set {s}"))
                    .unwrap_or_default()
            );
        }
        SuitesCommand::AddCase {
            suite,
            name,
            record,
            version,
        } => {
            let line = read_record(&record)?;
            let version = version.as_deref().map(|v| v.trim_start_matches('@'));
            let added = ws.add_case(&suite, &name, &line, version, &g.actor())?;
            let reasons: Vec<&str> = added
                .decided
                .policies
                .iter()
                .map(|p| p.id.as_str())
                .collect();
            println!(
                "added case \"{}\" to suite {} ({} cases): version {} decides {} ({}), determining policies: {}",
                name.trim(),
                added.suite.name,
                added.suite.cases,
                &added.version[..12],
                added.decided.decision.as_str(),
                added.decided.verdict.as_str(),
                if reasons.is_empty() { "none".to_string() } else { reasons.join(", ") }
            );
        }
        SuitesCommand::List => {
            let list = ws.list_suites()?;
            if list.is_empty() {
                println!("no suites; add one with `writ suites add FILE --version V --traces SET`");
            }
            for s in list {
                println!(
                    "{:<24} {:<12}  {:<16} {:>4} cases  {}",
                    s.name,
                    s.version.as_deref().map(|v| &v[..12]).unwrap_or("-"),
                    s.set_name.as_deref().unwrap_or("-"),
                    s.cases,
                    s.title.as_deref().unwrap_or("")
                );
            }
        }
        SuitesCommand::Remove { name } => {
            ws.remove_suite(&name, &g.actor())?;
            println!("removed suite {name}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Largest request file read (bytes): one trace record.
const MAX_RECORD_BYTES: u64 = 1 << 20;

/// The trace record in `path` (`-`: standard input), trimmed to its line.
fn read_record(path: &std::path::Path) -> anyhow::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    let shown = path.display();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .take(MAX_RECORD_BYTES + 1)
            .read_to_string(&mut text)
            .context("cannot read the record from standard input")?;
    } else {
        std::fs::File::open(path)
            .with_context(|| format!("cannot read {shown}"))?
            .take(MAX_RECORD_BYTES + 1)
            .read_to_string(&mut text)
            .with_context(|| format!("cannot read {shown}"))?;
    }
    if text.len() as u64 > MAX_RECORD_BYTES {
        anyhow::bail!("{shown} is larger than {MAX_RECORD_BYTES} bytes; give one trace record");
    }
    let text = text.trim();
    if text.lines().count() > 1 && serde_json::from_str::<serde_json::Value>(text).is_err() {
        anyhow::bail!("{shown} holds several lines; give one trace record");
    }
    // A pretty-printed record is read as one line.
    let value: serde_json::Value = serde_json::from_str(text)
        .with_context(|| format!("{shown} is not one JSON trace record"))?;
    Ok(value.to_string())
}

/// `writ test --suite NAME|all`: runs stored suites, printing what
/// `writ test FILES` prints; exit 1 when a case failed or a suite could
/// not run.
pub fn test(
    names: &[String],
    version: Option<&str>,
    traces: Option<&str>,
    junit: Option<&std::path::Path>,
    g: &GlobalArgs,
) -> anyhow::Result<ExitCode> {
    let ws = g.open()?;
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    if names.contains(&ALL) && names.len() > 1 {
        anyhow::bail!("`--suite {ALL}` runs every suite; give it alone");
    }
    let result = ws.run_suites(
        &names,
        Overrides {
            version: version.map(|v| v.trim_start_matches('@')),
            traces,
        },
    )?;
    print(&result);
    if let Some(j) = junit {
        writ_core::atomic_file::write_atomically(j, result.run.to_junit().as_bytes())
            .with_context(|| format!("cannot write {}", j.display()))?;
    }
    let run = &result.run;
    for (project, cov) in &run.coverage {
        let missing = cov.missing();
        println!(
            "coverage {project}: {} of {} policies determined at least one case",
            cov.policies.len() - missing.len(),
            cov.policies.len()
        );
        if !missing.is_empty() {
            println!("  never determining: {}", missing.join(", "));
        }
    }
    println!("{} passed, {} failed", run.passed(), run.failed());
    let broken = result.errors().count();
    for s in result.errors() {
        eprintln!("error: {}", s.error.as_deref().unwrap_or_default());
        if let Some(p) = &s.problem {
            crate::hint::eprint(Some(crate::hint::for_suite(p)));
        }
    }
    Ok(if run.failed() == 0 && broken == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print(result: &SuiteRun) {
    let mut at = 0;
    for s in &result.suites {
        println!(
            "suite {} (version {}, trace set {})",
            s.name,
            s.version
                .as_deref()
                .map(|v| &v[..v.len().min(12)])
                .unwrap_or("-"),
            s.set.as_deref().unwrap_or("-")
        );
        if let Some(e) = &s.error {
            println!("  not run: {e}");
            if let Some(p) = &s.problem {
                println!("  hint: {}", crate::hint::for_suite(p));
            }
        }
        for c in &result.run.cases[at..at + s.cases] {
            if c.passed {
                println!("  ok    {}", c.name);
            } else {
                println!("  FAIL  {}  ({})", c.name, c.location);
                for f in &c.failures {
                    println!("          {f}");
                }
            }
        }
        at += s.cases;
    }
}
