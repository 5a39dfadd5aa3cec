//! `writ test PATH...`: scenario files and Cedar `run-tests` files.

use anyhow::Context as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use writ_core::scenario::{run_cedar_tests, ScenarioRunner, TestRun};

/// Arguments of `writ test`.
#[derive(clap::Args)]
pub struct Args {
    /// Scenario files (`*.toml`), folders of them, or Cedar test files (`*.json`, with --policies).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// For Cedar test files: the policies, as `cedar run-tests --policies` takes them.
    #[arg(long)]
    policies: Option<PathBuf>,
    /// For Cedar test files: the schema.
    #[arg(long)]
    schema: Option<PathBuf>,
    /// Write JUnit XML here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Run the scenarios against this project (a folder or `@<version>`)
    /// instead of the one each scenario file names: "would this draft pass?".
    #[arg(long)]
    project: Option<PathBuf>,
}

fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("cannot read {}", p.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|f| f.extension().is_some_and(|e| e == "toml"))
                .collect();
            found.sort();
            if found.is_empty() {
                anyhow::bail!("{} holds no scenario files (*.toml)", p.display());
            }
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Runs the command.
pub fn run(args: Args, g: &crate::output::GlobalArgs) -> anyhow::Result<ExitCode> {
    let mut run = TestRun::default();
    let mut runner = ScenarioRunner::new();
    if let Some(p) = &args.project {
        let project = crate::output::load_project(p, g)?;
        runner.use_project(p.display().to_string(), &project);
    }
    for path in expand(&args.paths)? {
        let before = run.cases.len();
        let is_json = path.extension().is_some_and(|e| e == "json");
        if is_json {
            let policies = args
                .policies
                .as_deref()
                .context("Cedar test files need --policies (and usually --schema), as `cedar run-tests` does")?;
            run_cedar_tests(policies, args.schema.as_deref(), &path, &mut run)?;
        } else {
            runner.run_file(&path, &mut run)?;
        }
        print_cases(&path, &run, before);
    }
    if let Some(j) = &args.junit {
        writ_core::atomic_file::write_atomically(j, run.to_junit().as_bytes())
            .with_context(|| format!("cannot write {}", j.display()))?;
    }
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
    Ok(if run.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_cases(path: &Path, run: &TestRun, from: usize) {
    println!("{}", path.display());
    for c in &run.cases[from..] {
        if c.passed {
            println!("  ok    {}", c.name);
        } else {
            println!("  FAIL  {}  ({})", c.name, c.location);
            for f in &c.failures {
                println!("          {f}");
            }
        }
    }
}
