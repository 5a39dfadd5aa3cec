//! What-if scenarios as tests: scenario files (`scenarios/*.toml`) and
//! Cedar's own `run-tests` JSON files, with JUnit XML output.

use crate::evaluate::{Evaluator, Outcome, Verdict};
use crate::project::{check_project, CheckReport, Project};
use crate::resolve::Resolver;
use crate::schema::ProjectSchema;
use crate::trace::{parse_record, Decision};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Why scenarios could not be run at all (as opposed to failing).
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A scenario or test file is malformed.
    #[error("{path}:{line}:{column}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The project a scenario names has errors.
    #[error("the project {path} has {errors} error(s); its check shows them")]
    Project {
        /// The project folder.
        path: PathBuf,
        /// Number of errors.
        errors: usize,
    },
}

/// What a case expects.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The decision.
    pub decision: Decision,
    /// Policies that must be among the determining ones.
    #[serde(default)]
    pub reasons: Vec<String>,
    /// Exact number of evaluation errors.
    #[serde(default)]
    pub errors: Option<usize>,
    /// The verdict.
    #[serde(default)]
    pub verdict: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseSpec {
    name: String,
    #[serde(default)]
    line: Option<usize>,
    #[serde(default)]
    record: Option<toml::Value>,
    expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioSpec {
    #[serde(default)]
    name: Option<String>,
    // Required for files run from disk; a suite stored in a workspace is
    // bound to a stored version instead.
    #[serde(default)]
    project: Option<String>,
    #[serde(default)]
    traces: Option<String>,
    #[serde(default)]
    entities: Option<toml::Spanned<EntitiesSpec>>,
    #[serde(default)]
    case: Vec<toml::Spanned<CaseSpec>>,
}

/// Entities a scenario adds to its project's: a Cedar entities JSON file
/// (`entities = "file.json"`, relative to the scenario) or inline
/// `[[entities]]` tables in Cedar's entity form (`uid`, `attrs`,
/// `parents`, `tags`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum EntitiesSpec {
    File(String),
    Inline(Vec<toml::Value>),
}

/// The result of one case.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaseResult {
    /// The suite (scenario name or file).
    pub suite: String,
    /// The case name.
    pub name: String,
    /// Where the case is defined (`file:line`).
    pub location: String,
    /// Whether it passed.
    pub passed: bool,
    /// What did not match.
    pub failures: Vec<String>,
    /// The decision Writ made.
    pub decision: Decision,
    /// The verdict.
    pub verdict: Verdict,
    /// The determining policies.
    pub reasons: Vec<String>,
    /// Number of evaluation errors.
    pub errors: usize,
    /// What the case expected.
    pub expected: Expect,
}

/// Which policies of a project the cases exercised.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Coverage {
    /// Every policy id of the project, in catalogue order.
    pub policies: Vec<String>,
    /// Policies that determined the decision of at least one case.
    pub exercised: std::collections::BTreeSet<String>,
}

impl Coverage {
    /// Policies no case exercised.
    pub fn missing(&self) -> Vec<&str> {
        self.policies
            .iter()
            .filter(|p| !self.exercised.contains(*p))
            .map(String::as_str)
            .collect()
    }
}

/// Results of a test run.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct TestRun {
    /// Every case, in order.
    pub cases: Vec<CaseResult>,
    /// Policy coverage per project folder of the scenarios run.
    pub coverage: std::collections::BTreeMap<String, Coverage>,
}

impl TestRun {
    /// Passed cases.
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.passed).count()
    }

    /// Failed cases.
    pub fn failed(&self) -> usize {
        self.cases.len() - self.passed()
    }

    /// The run as JUnit XML.
    pub fn to_junit(&self) -> String {
        use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
        let mut report = Report::new("writ");
        let mut suites: Vec<TestSuite> = Vec::new();
        for c in &self.cases {
            if suites.last().map(|s| s.name.as_str()) != Some(c.suite.as_str()) {
                suites.push(TestSuite::new(c.suite.clone()));
            }
            let status = if c.passed {
                TestCaseStatus::success()
            } else {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(c.failures.join("; "));
                s.set_description(format!("{}: {}", c.location, c.failures.join("\n")));
                s
            };
            let mut tc = TestCase::new(c.name.clone(), status);
            tc.set_classname(c.suite.clone());
            if let Some(s) = suites.last_mut() {
                s.add_test_case(tc);
            }
        }
        report.add_test_suites(suites);
        report.to_string().unwrap_or_default()
    }
}

/// Compares an outcome with what a case expects.
pub fn compare(expect: &Expect, outcome: &Outcome, rename: &dyn Fn(&str) -> String) -> Vec<String> {
    let mut failures = Vec::new();
    if outcome.decision != expect.decision {
        failures.push(format!(
            "expected decision {}, got {}",
            expect.decision.as_str(),
            outcome.decision.as_str()
        ));
    }
    let actual: Vec<&str> = outcome.reasons.iter().map(|r| &**r).collect();
    for r in &expect.reasons {
        let r = rename(r);
        if !actual.contains(&r.as_str()) {
            failures.push(format!(
                "expected `{r}` among the determining policies, got [{}]",
                actual.join(", ")
            ));
        }
    }
    let errors = outcome.errors.len() + usize::from(outcome.request_error.is_some());
    if let Some(n) = expect.errors {
        if n != errors {
            let detail = match &outcome.request_error {
                Some(e) => format!(" (request error: {e})"),
                None => String::new(),
            };
            failures.push(format!("expected {n} error(s), got {errors}{detail}"));
        }
    }
    if let Some(v) = &expect.verdict {
        match Verdict::parse(v) {
            Some(v) if v == outcome.verdict => {}
            Some(v) => failures.push(format!("expected verdict {}, got {}", v.as_str(), outcome.verdict.as_str())),
            None => failures.push(format!("unknown verdict `{v}` in the test (use allowed, denied_by_forbid, not_permitted, needs_step_up or error)")),
        }
    }
    failures
}

fn case_result(
    suite: &str,
    name: &str,
    location: String,
    outcome: &Outcome,
    expected: &Expect,
    failures: Vec<String>,
) -> CaseResult {
    CaseResult {
        expected: expected.clone(),
        suite: suite.to_string(),
        name: name.to_string(),
        location,
        passed: failures.is_empty(),
        failures,
        decision: outcome.decision,
        verdict: outcome.verdict,
        reasons: outcome.reasons.iter().map(|r| r.to_string()).collect(),
        errors: outcome.errors.len() + usize::from(outcome.request_error.is_some()),
    }
}

/// Runs scenario files, loading each named project once.
#[derive(Default)]
pub struct ScenarioRunner {
    projects: HashMap<PathBuf, Project>,
    /// Evaluators of scenarios that add no entities, one per project.
    evaluators: HashMap<PathBuf, Evaluator>,
    /// `today` for inventory checks.
    pub today: Option<time::Date>,
    /// A project every scenario runs against instead of the one it names.
    replacement: Option<(String, Project)>,
}

impl ScenarioRunner {
    /// A runner.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs every scenario against `project` (shown as `name`) instead of
    /// the project each file names.
    pub fn use_project(&mut self, name: String, project: &Project) {
        self.replacement = Some((name, project.clone()));
    }

    /// Runs one scenario file, appending its cases to `run`.
    pub fn run_file(&mut self, path: &Path, run: &mut TestRun) -> Result<(), ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let scenario = Scenario::parse(path, &text)?;
        let base = path.parent().unwrap_or(Path::new("."));
        let project_dir = match &self.replacement {
            Some((name, _)) => PathBuf::from(name),
            None => {
                let project = scenario.project().ok_or_else(|| ScenarioError::Malformed {
                    path: path.to_path_buf(),
                    line: 1,
                    column: 1,
                    message: "missing field `project` (the policy folder the cases run against)"
                        .to_string(),
                })?;
                tidy_path(&base.join(project))
            }
        };
        let key = project_dir
            .canonicalize()
            .unwrap_or_else(|_| project_dir.clone());
        // A replacement project is already loaded (it may be a stored
        // `@version`, which is no folder on disk).
        if self.replacement.is_none() && !self.projects.contains_key(&key) {
            let today = self.today.unwrap_or_else(crate::project::today_utc);
            let report: CheckReport = check_project(&project_dir, today);
            let errors = report.error_count();
            let project = report.project.ok_or(ScenarioError::Project {
                path: project_dir.clone(),
                errors,
            })?;
            self.projects.insert(key.clone(), project);
        }
        let project = match &self.replacement {
            Some((_, project)) => project,
            None => match self.projects.get(&key) {
                Some(project) => project,
                None => return Ok(()),
            },
        };
        let shown = project_dir.display().to_string();
        // Scenarios without entities of their own share one evaluator per
        // project (and its caches); one that adds entities gets its own.
        let own;
        let ev = if scenario.adds_entities() {
            own = scenario.evaluator(&shown, project, Some(base))?;
            &own
        } else {
            self.evaluators
                .entry(key)
                .or_insert_with(|| Evaluator::from_project(shown.clone(), project))
        };
        let mut lines = HashMap::new();
        let mut total = 0;
        if let Some(t) = scenario.traces() {
            let tp = base.join(t);
            let needed = scenario.trace_lines_needed();
            let text = std::fs::read_to_string(&tp)
                .map_err(|source| ScenarioError::Io { path: tp, source })?;
            for (i, l) in text.lines().enumerate() {
                total = i + 1;
                if needed.contains(&total) {
                    lines.insert(total, l.to_string());
                }
            }
        }
        let suite = scenario
            .name()
            .map(str::to_string)
            .unwrap_or_else(|| path.display().to_string());
        scenario.run(
            &suite,
            &shown,
            ev,
            &lines,
            &format!("the trace has {total} lines"),
            run,
        )
    }
}

/// A parsed scenario file: a name, the project and trace it names (paths
/// relative to the file, meaningful only on disk) and its cases.
#[derive(Debug)]
pub struct Scenario {
    shown: PathBuf,
    text: String,
    spec: ScenarioSpec,
}

impl Scenario {
    /// Parses scenario text; `shown` names it in errors and case
    /// locations. A malformed file is an error located at line:column.
    pub fn parse(shown: &Path, text: &str) -> Result<Scenario, ScenarioError> {
        let spec: ScenarioSpec = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|s| crate::diagnostic::line_column(text, s.start))
                .unwrap_or((0, 0));
            ScenarioError::Malformed {
                path: shown.to_path_buf(),
                line,
                column,
                message: e.message().to_string(),
            }
        })?;
        Ok(Scenario {
            shown: shown.to_path_buf(),
            text: text.to_string(),
            spec,
        })
    }

    /// The scenario's own `name`, if it has one.
    pub fn name(&self) -> Option<&str> {
        self.spec.name.as_deref()
    }

    /// The project folder the file names (relative to the file).
    pub fn project(&self) -> Option<&str> {
        self.spec.project.as_deref()
    }

    /// The trace file the file names (relative to the file).
    pub fn traces(&self) -> Option<&str> {
        self.spec.traces.as_deref()
    }

    /// How many cases it holds.
    pub fn case_count(&self) -> usize {
        self.spec.case.len()
    }

    /// The trace lines its `line = N` cases point at, in case order.
    pub fn trace_lines_needed(&self) -> Vec<usize> {
        self.spec
            .case
            .iter()
            .filter_map(|c| c.get_ref().line)
            .collect()
    }

    /// Whether the scenario adds entities of its own to its project's.
    pub fn adds_entities(&self) -> bool {
        self.spec.entities.is_some()
    }

    /// The entities file the scenario names (relative to the file), if it
    /// reads its entities from one rather than holding them inline.
    pub fn entities_file(&self) -> Option<&str> {
        match self.spec.entities.as_ref().map(toml::Spanned::get_ref) {
            Some(EntitiesSpec::File(f)) => Some(f),
            _ => None,
        }
    }

    /// The evaluator that decides this scenario's cases: `project`'s
    /// (shown as `name`), with the scenario's own entities added when it
    /// has some. `base` is the folder the scenario's paths are relative to;
    /// `None` (a suite stored in a workspace) refuses an entities file.
    /// An entity the project already defines, or one that does not fit the
    /// schema, is an error located in the scenario or its entities file.
    pub fn evaluator(
        &self,
        name: &str,
        project: &Project,
        base: Option<&Path>,
    ) -> Result<Evaluator, ScenarioError> {
        let Some(spec) = &self.spec.entities else {
            return Ok(Evaluator::from_project(name, project));
        };
        let key_line = crate::diagnostic::line_column(&self.text, spec.span().start).0;
        let (file, text, entries) = match spec.get_ref() {
            EntitiesSpec::File(f) => {
                let Some(base) = base else {
                    return Err(self.malformed(
                        key_line,
                        format!("`entities = \"{f}\"` names a file, which a suite stored in a workspace cannot read; write the entities inline as [[entities]] tables"),
                    ));
                };
                let path = tidy_path(&base.join(f));
                let text = std::fs::read_to_string(&path).map_err(|source| ScenarioError::Io {
                    path: path.clone(),
                    source,
                })?;
                let (entries, diags) = crate::entities_file::read_entities_file(&path, &text);
                if let Some(d) = diags.iter().find(|d| d.is_error()) {
                    return Err(located(&path, &text, d));
                }
                (Some(path), text, entries)
            }
            EntitiesSpec::Inline(items) => {
                let json = serde_json::to_string_pretty(items)
                    .map_err(|e| self.malformed(key_line, format!("entities: {e}")))?;
                let (entries, diags) = crate::entities_file::read_entities_file(&self.shown, &json);
                if let Some(d) = diags.iter().find(|d| d.is_error()) {
                    return Err(self.malformed(key_line, format!("entities: {}", d.message)));
                }
                (None, json, entries)
            }
        };
        let locate = |d: &crate::diagnostic::Diagnostic| match &file {
            Some(path) => located(path, &text, d),
            None => self.malformed(key_line, format!("entities: {}", d.message)),
        };
        for e in &entries {
            if project.entities.get(&e.uid).is_some() {
                let d = crate::diagnostic::Diagnostic::error(
                    "entities-duplicate",
                    &e.file,
                    e.span,
                    format!(
                        "entity `{}` is already defined by the project; a scenario may only add entities",
                        crate::display::escaped(&e.uid.to_string())
                    ),
                );
                return Err(locate(&d));
            }
        }
        let (added, diags) = crate::entities_file::merge(None, &entries, &project.schema.schema);
        if let Some(d) = diags.iter().find(|d| d.is_error()) {
            return Err(locate(d));
        }
        let Some(added) = added else {
            return Err(self.malformed(key_line, "entities: not usable".to_string()));
        };
        let entities = project
            .entities
            .clone()
            .add_entities(added, Some(&project.schema.schema))
            .map_err(|e| self.malformed(key_line, format!("entities: {e}")))?;
        Ok(Evaluator::new(
            name,
            project.policies.clone(),
            Some(project.schema.clone()),
            entities,
            Resolver::from_inventory(&project.inventory),
        ))
    }

    /// Checks every case without deciding anything: each has exactly one
    /// of `line` or `record`, and inline records are valid trace records.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        for case in &self.spec.case {
            let line = self.line_of(case);
            let c = case.get_ref();
            match (&c.line, &c.record) {
                (Some(0), None) => {
                    return Err(self.malformed(
                        line,
                        format!("case `{}`: trace lines are numbered from 1", c.name),
                    ))
                }
                (Some(_), None) => {}
                (None, Some(rec)) => {
                    self.inline_record(line, &c.name, rec)?;
                }
                _ => return Err(self.malformed(line, exactly_one(&c.name))),
            }
        }
        Ok(())
    }

    fn line_of(&self, case: &toml::Spanned<CaseSpec>) -> usize {
        crate::diagnostic::line_column(&self.text, case.span().start).0
    }

    fn malformed(&self, line: usize, message: String) -> ScenarioError {
        ScenarioError::Malformed {
            path: self.shown.clone(),
            line,
            column: 1,
            message,
        }
    }

    fn inline_record(
        &self,
        line: usize,
        name: &str,
        rec: &toml::Value,
    ) -> Result<crate::trace::TraceRecord, ScenarioError> {
        let mut value =
            serde_json::to_value(rec).map_err(|e| self.malformed(line, e.to_string()))?;
        // An inline what-if record need not say what happened.
        if let Some(obj) = value.as_object_mut() {
            obj.entry("outcome")
                .or_insert_with(|| serde_json::json!("executed"));
        }
        parse_record(0, &value.to_string()).map_err(|e| {
            self.malformed(
                line,
                format!("case `{name}`: the record is not valid: {}", e.message),
            )
        })
    }

    /// Decides every case with `ev` (the project shown as `project`, the
    /// key of its coverage), appending the results to `run` under `suite`.
    /// `lines` holds the trace lines the `line = N` cases need; a missing
    /// one is reported as "case ... names line N, but {missing}".
    pub fn run(
        &self,
        suite: &str,
        project: &str,
        ev: &Evaluator,
        lines: &HashMap<usize, String>,
        missing: &str,
        run: &mut TestRun,
    ) -> Result<(), ScenarioError> {
        run.coverage
            .entry(project.to_string())
            .or_insert_with(|| Coverage {
                policies: ev.catalog.policies.iter().map(|p| p.id.clone()).collect(),
                exercised: Default::default(),
            });
        let mut exercised: Vec<String> = Vec::new();
        for case in &self.spec.case {
            let line = self.line_of(case);
            let location = format!("{}:{line}", self.shown.display());
            let case = case.get_ref();
            let record = match (&case.line, &case.record) {
                (Some(n), None) => {
                    let text = lines.get(n).ok_or_else(|| {
                        self.malformed(
                            line,
                            format!("case `{}` names line {n}, but {missing}", case.name),
                        )
                    })?;
                    parse_record(*n, text).map_err(|e| {
                        self.malformed(
                            line,
                            format!(
                                "case `{}`: the record is not valid: {}",
                                case.name, e.message
                            ),
                        )
                    })?
                }
                (None, Some(rec)) => self.inline_record(line, &case.name, rec)?,
                _ => return Err(self.malformed(line, exactly_one(&case.name))),
            };
            let outcome = match ev.prepare(&record) {
                Ok(p) => ev.decide(&p),
                Err(u) => (*u.outcome).clone(),
            };
            let failures = compare(&case.expect, &outcome, &|s| s.to_string());
            exercised.extend(outcome.reasons.iter().map(|r| r.to_string()));
            run.cases.push(case_result(
                suite,
                &case.name,
                location,
                &outcome,
                &case.expect,
                failures,
            ));
        }
        if let Some(c) = run.coverage.get_mut(project) {
            c.exercised.extend(exercised);
        }
        Ok(())
    }
}

fn exactly_one(name: &str) -> String {
    format!(
        "case `{name}` needs exactly one of `line` (a line of the scenario's traces) or `record` (an inline trace record)"
    )
}

#[derive(Debug, Deserialize)]
struct CedarTest {
    #[serde(default)]
    name: Option<String>,
    request: CedarRequest,
    #[serde(default)]
    entities: serde_json::Value,
    decision: Decision,
    #[serde(default)]
    reason: Vec<String>,
    #[serde(default)]
    num_errors: usize,
}

#[derive(Debug, Deserialize)]
struct CedarRequest {
    principal: String,
    action: String,
    resource: String,
    #[serde(default)]
    context: serde_json::Map<String, serde_json::Value>,
}

/// Runs a Cedar `run-tests` JSON file against `policies` (and `schema`),
/// the way `cedar run-tests --policies P --schema S --tests T` does.
pub fn run_cedar_tests(
    policies: &Path,
    schema: Option<&Path>,
    tests: &Path,
    run: &mut TestRun,
) -> Result<(), ScenarioError> {
    let inputs = CedarTestInputs {
        policies,
        schema,
        entities: None,
        links: None,
    };
    run_cedar_tests_with(&inputs, tests, run)
}

/// What a Cedar `run-tests` file runs against.
#[derive(Debug, Clone, Copy)]
pub struct CedarTestInputs<'a> {
    /// The policy file (static policies and templates), or a folder of
    /// `*.cedar` files read in name order.
    pub policies: &'a Path,
    /// The schema, if any.
    pub schema: Option<&'a Path>,
    /// Entities (Cedar's entities JSON) every test starts from; each test's
    /// own `entities` are added to them (a uid in both is an error).
    pub entities: Option<&'a Path>,
    /// Template links (the Cedar CLI's links format).
    pub links: Option<&'a Path>,
}

/// Runs a Cedar `run-tests` JSON file against `inputs`: the policies
/// with the templates linked by `inputs.links`, deciding each test with the
/// entities of `inputs.entities` plus the test's own.
pub fn run_cedar_tests_with(
    inputs: &CedarTestInputs<'_>,
    tests: &Path,
    run: &mut TestRun,
) -> Result<(), ScenarioError> {
    let (policies, schema) = (inputs.policies, inputs.schema);
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|source| ScenarioError::Io {
            path: p.to_path_buf(),
            source,
        })
    };
    let malformed =
        |p: &Path, line: usize, column: usize, message: String| ScenarioError::Malformed {
            path: p.to_path_buf(),
            line,
            column,
            message,
        };
    // One file, or a folder of `*.cedar` files read in name order (as a
    // project's policies/ folder is).
    let policy_files: Vec<PathBuf> = if policies.is_dir() {
        let mut found: Vec<PathBuf> = std::fs::read_dir(policies)
            .map_err(|source| ScenarioError::Io {
                path: policies.to_path_buf(),
                source,
            })?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "cedar"))
            .collect();
        found.sort();
        found
    } else {
        vec![policies.to_path_buf()]
    };
    let mut policy_texts = Vec::with_capacity(policy_files.len());
    for f in &policy_files {
        policy_texts.push(read(f)?);
    }
    let sources: Vec<crate::policies::PolicySource<'_>> = policy_files
        .iter()
        .zip(&policy_texts)
        .map(|(path, text)| crate::policies::PolicySource { path, text })
        .collect();
    let (mut catalog, diags) = crate::policies::parse_policy_files(&sources);
    if let Some(d) = diags.iter().find(|d| d.is_error()) {
        let text = policy_files
            .iter()
            .zip(&policy_texts)
            .find(|(f, _)| **f == d.file)
            .map_or("", |(_, t)| t.as_str());
        let (l, c) = d
            .span
            .map(|s| crate::diagnostic::line_column(text, s.start))
            .unwrap_or((0, 0));
        return Err(malformed(&d.file, l, c, d.message.clone()));
    }
    let schema = match schema {
        Some(p) => {
            let text = read(p)?;
            let (s, _) = ProjectSchema::load(p, &text).map_err(|d| {
                let (l, c) = d
                    .first()
                    .and_then(|d| d.span)
                    .map(|s| crate::diagnostic::line_column(&text, s.start))
                    .unwrap_or((0, 0));
                malformed(
                    p,
                    l,
                    c,
                    d.first().map(|d| d.message.clone()).unwrap_or_default(),
                )
            })?;
            Some(s)
        }
        None => None,
    };
    if let Some(links) = inputs.links {
        let text = read(links)?;
        let diags = crate::links::link_templates(
            &mut catalog,
            links,
            &text,
            schema.as_ref().map(|s| &s.schema),
        );
        if let Some(d) = diags.iter().find(|d| d.is_error()) {
            return Err(located(links, &text, d));
        }
    }
    let mut base_entities: Vec<serde_json::Value> = Vec::new();
    if let Some(path) = inputs.entities {
        let text = read(path)?;
        let (entries, diags) = crate::entities_file::read_entities_file(path, &text);
        if let Some(d) = diags.iter().find(|d| d.is_error()) {
            return Err(located(path, &text, d));
        }
        if let Some(s) = &schema {
            let (_, diags) = crate::entities_file::merge(None, &entries, &s.schema);
            if let Some(d) = diags.iter().find(|d| d.is_error()) {
                return Err(located(path, &text, d));
            }
        }
        base_entities = entries.into_iter().map(|e| e.json).collect();
    }
    let tests_text = read(tests)?;
    let cases: Vec<CedarTest> = serde_json::from_str(&tests_text)
        .map_err(|e| malformed(tests, e.line(), e.column(), e.to_string()))?;
    // Cedar's CLI names unannotated policies and templates policy0,
    // policy1, ... (both counted).
    let rename = |id: &str| -> String {
        if catalog.get(id).is_some() {
            return id.to_string();
        }
        catalog
            .by_cedar_name(id)
            .map(str::to_string)
            .unwrap_or_else(|| id.to_string())
    };
    let suite = tests.display().to_string();
    for (i, t) in cases.iter().enumerate() {
        let name = t.name.clone().unwrap_or_else(|| format!("test {}", i + 1));
        let own: serde_json::Value = match &t.entities {
            serde_json::Value::String(p) => {
                let path = tests.parent().unwrap_or(Path::new(".")).join(p);
                let text = read(&path)?;
                serde_json::from_str(&text)
                    .map_err(|e| malformed(&path, e.line(), e.column(), e.to_string()))?
            }
            serde_json::Value::Null => serde_json::Value::Array(Vec::new()),
            other => other.clone(),
        };
        let entities_json = match own {
            serde_json::Value::Array(items) => {
                let mut all = base_entities.clone();
                all.extend(items);
                serde_json::Value::Array(all)
            }
            other => other,
        };
        let entities = cedar_policy::Entities::from_json_value(
            entities_json,
            schema.as_ref().map(|s| &s.schema),
        )
        .map_err(|e| malformed(tests, 0, 0, format!("{name}: entities: {e}")))?;
        let ev = Evaluator::new(
            &name,
            catalog.clone(),
            schema.clone(),
            entities,
            Resolver::default(),
        );
        let record = serde_json::json!({
            "ts": "1970-01-01T00:00:00Z",
            "agent": t.request.principal,
            "action": t.request.action,
            "resource": uid_to_ref(&t.request.resource),
            "context": t.request.context,
            "outcome": "executed",
        });
        let record = parse_record(i + 1, &record.to_string())
            .map_err(|e| malformed(tests, 0, 0, format!("{name}: {}", e.message)))?;
        let outcome = match ev.prepare(&record) {
            Ok(p) => ev.decide(&p),
            Err(u) => (*u.outcome).clone(),
        };
        let expect = Expect {
            decision: t.decision,
            reasons: t.reason.clone(),
            errors: Some(t.num_errors),
            verdict: None,
        };
        let failures = compare(&expect, &outcome, &rename);
        run.cases.push(case_result(
            &suite,
            &name,
            format!("{}#{}", tests.display(), i + 1),
            &outcome,
            &expect,
            failures,
        ));
    }
    Ok(())
}

/// A diagnostic of `path` (whose text is `text`) as a located error.
fn located(path: &Path, text: &str, d: &crate::diagnostic::Diagnostic) -> ScenarioError {
    let (line, column) = d
        .position
        .or_else(|| {
            d.span
                .map(|s| crate::diagnostic::line_column(text, s.start))
        })
        .unwrap_or((0, 0));
    ScenarioError::Malformed {
        path: path.to_path_buf(),
        line,
        column,
        message: d.message.clone(),
    }
}

/// Removes `.` and `dir/..` pairs from a path without touching the disk,
/// so paths read well in reports.
pub fn tidy_path(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.is_empty() {
        PathBuf::from(".")
    } else {
        out.iter().collect()
    }
}

fn uid_to_ref(uid: &str) -> serde_json::Value {
    match crate::uid::parse_uid_literal(uid) {
        Some((ty, id)) => serde_json::json!({"type": ty, "id": id}),
        None => serde_json::Value::Null,
    }
}
