//! `writ test PATH...`: scenario files and Cedar `run-tests` files
//! (`writ test --suite NAME|all`: suites stored in the workspace).

use anyhow::Context as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use writ_core::scenario::{run_cedar_tests_with, CedarTestInputs, ScenarioRunner, TestRun};

/// Arguments of `writ test`.
#[derive(clap::Args)]
pub struct Args {
    /// Scenario files (`*.toml`), folders of them, or Cedar test files (`*.json`, with --policies).
    #[arg(required_unless_present = "suite", conflicts_with = "suite")]
    paths: Vec<PathBuf>,
    /// Run suites stored in the workspace instead of files: a suite's name
    /// (repeatable), or `all`.
    #[arg(long, value_name = "NAME|all", conflicts_with_all = ["project", "policies", "schema", "entities", "links"])]
    suite: Vec<String>,
    /// With --suite: run against this stored version instead of each
    /// suite's bound one.
    #[arg(
        long = "version",
        id = "suite_version",
        value_name = "VERSION",
        requires = "suite"
    )]
    version: Option<String>,
    /// With --suite: read `line = N` cases from this stored trace set
    /// instead of each suite's bound one.
    #[arg(long, requires = "suite")]
    traces: Option<String>,
    /// For Cedar test files: the policies, as `cedar run-tests --policies` takes them
    /// (or a folder of *.cedar files, read in name order).
    #[arg(long)]
    policies: Option<PathBuf>,
    /// For Cedar test files: the schema.
    #[arg(long)]
    schema: Option<PathBuf>,
    /// For Cedar test files: entities (Cedar's entities JSON) every test
    /// starts from; each test's own `entities` are added to them.
    #[arg(long, requires = "policies")]
    entities: Option<PathBuf>,
    /// For Cedar test files: template links (the Cedar CLI's links.json
    /// format) for the templates in --policies.
    #[arg(long, requires = "policies")]
    links: Option<PathBuf>,
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
    if args.suite.is_empty() && (args.version.is_some() || args.traces.is_some()) {
        anyhow::bail!(
            "--version and --traces choose what stored suites run against; use them with --suite (for files, use --project)"
        );
    }
    if !args.suite.is_empty() {
        return crate::suites::test(
            &args.suite,
            args.version.as_deref(),
            args.traces.as_deref(),
            args.junit.as_deref(),
            g,
        );
    }
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
            let inputs = CedarTestInputs {
                policies,
                schema: args.schema.as_deref(),
                entities: args.entities.as_deref(),
                links: args.links.as_deref(),
            };
            run_cedar_tests_with(&inputs, &path, &mut run)?;
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
