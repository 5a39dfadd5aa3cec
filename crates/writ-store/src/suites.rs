//! Scenario suites: scenario files (`scenarios/*.toml`) stored in the
//! workspace by name and run against stored versions and trace sets.
//!
//! A scenario file's `project` and `traces` are paths, which mean nothing
//! inside a workspace, so a stored suite is *bound* instead: to a version
//! and, when it has `line = N` cases, to a trace set. Both can be
//! overridden when it runs ("would v1 pass v2's suite?"). The text is kept
//! as it was added, and is checked when added: a malformed file is
//! reported at file:line:column and nothing is stored.

use crate::audit;
use crate::error::{NameProblem, Result, StoreError};
use crate::workspace::{now_rfc3339, Workspace};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;
use writ_base::time::UtcTime;
use writ_core::evaluate::Evaluator;
use writ_core::project::Project;
use writ_core::scenario::{Scenario, TestRun};

/// The name that stands for every suite (`writ test --suite all`); no
/// suite may be called this.
pub const ALL: &str = "all";

/// Longest suite name accepted (characters).
pub const MAX_NAME_CHARS: usize = 100;

/// Largest suite text accepted (bytes).
pub const MAX_TEXT_BYTES: usize = 4 << 20;

/// A stored suite, without its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuiteInfo {
    /// Its name in the workspace.
    pub name: String,
    /// The scenario's own `name`, if it has one.
    pub title: Option<String>,
    /// Where the text came from (the file added).
    pub source: String,
    /// The bound version (full id), if any.
    pub version: Option<String>,
    /// The bound trace set's id, if any.
    pub set: Option<i64>,
    /// The bound trace set's name, if any.
    pub set_name: Option<String>,
    /// Number of cases.
    pub cases: i64,
    /// When it was added or last replaced.
    pub added_at: UtcTime,
    /// Who added or replaced it.
    pub added_by: String,
}

/// A stored suite with its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suite {
    /// What the list shows.
    pub info: SuiteInfo,
    /// The scenario file, as added.
    pub text: String,
}

/// A suite to store.
#[derive(Debug, Clone, Copy)]
pub struct NewSuite<'a> {
    /// Its name in the workspace.
    pub name: &'a str,
    /// The scenario file's text.
    pub text: &'a str,
    /// Where it came from (shown in errors and the list).
    pub source: &'a str,
    /// The version to bind (id or unique prefix, `@` allowed).
    pub version: Option<&'a str>,
    /// The trace set to bind (id or name).
    pub traces: Option<&'a str>,
}

/// What to run the suites against instead of their bindings.
#[derive(Debug, Clone, Copy, Default)]
pub struct Overrides<'a> {
    /// A version (id or unique prefix) for every suite.
    pub version: Option<&'a str>,
    /// A trace set (id or name) for every suite.
    pub traces: Option<&'a str>,
}

/// How one suite of a run went.
#[derive(Debug, Clone, Serialize)]
pub struct SuiteOutcome {
    /// The suite's name.
    pub name: String,
    /// The version it ran against (full id), when one was known.
    pub version: Option<String>,
    /// The trace set it used, by name, when one was.
    pub set: Option<String>,
    /// Its cases in the run (0 when it could not run).
    pub cases: usize,
    /// Why it could not run at all, as a readable message.
    pub error: Option<String>,
    /// Why it could not run, where that is something to set up (for a
    /// caller to add its own advice to `error`).
    #[serde(skip)]
    pub problem: Option<SuiteProblem>,
}

/// Why a suite could not run, where that is something to set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuiteProblem {
    /// The suite is bound to no version and none was named.
    NoVersion {
        /// The suite.
        suite: String,
    },
    /// The suite has cases on trace lines but no trace set.
    NoTraceSet {
        /// The suite.
        suite: String,
    },
    /// The version it runs against has errors.
    VersionHasErrors {
        /// The short version id.
        version: String,
    },
}

/// Why one suite did not run: the readable message and, where there is
/// one, the typed problem.
struct NotRun {
    message: String,
    problem: Option<SuiteProblem>,
}

impl From<String> for NotRun {
    fn from(message: String) -> Self {
        NotRun {
            message,
            problem: None,
        }
    }
}

/// The result of running suites.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SuiteRun {
    /// Every case, in suite order, and policy coverage per version.
    pub run: TestRun,
    /// Each suite, in the order run.
    pub suites: Vec<SuiteOutcome>,
}

impl SuiteRun {
    /// Suites that could not run.
    pub fn errors(&self) -> impl Iterator<Item = &SuiteOutcome> {
        self.suites.iter().filter(|s| s.error.is_some())
    }
}

/// Checks a suite name: 1 to [`MAX_NAME_CHARS`] printable characters,
/// not [`ALL`].
pub fn check_name(name: &str) -> Result<()> {
    let n = name.chars().count();
    if n == 0 || name.trim() != name {
        return Err(NameProblem::Blank { what: "suite" }.into());
    }
    if n > MAX_NAME_CHARS {
        return Err(NameProblem::TooLong {
            what: "suite",
            name: name.to_string(),
            max: MAX_NAME_CHARS,
            chars: n,
        }
        .into());
    }
    if name.chars().any(char::is_control) {
        return Err(NameProblem::ControlCharacters { what: "suite" }.into());
    }
    if name == ALL {
        return Err(NameProblem::Reserved {
            name: ALL,
            meaning: "every suite",
        }
        .into());
    }
    Ok(())
}

/// Parses and checks a suite's text, shown as `shown` in errors.
fn parse(shown: &str, text: &str) -> Result<Scenario> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(StoreError::SuiteTooLarge {
            suite: shown.to_string(),
            max_mib: MAX_TEXT_BYTES >> 20,
        });
    }
    let scenario = Scenario::parse(Path::new(shown), text)?;
    scenario.validate()?;
    if let Some(file) = scenario.entities_file() {
        return Err(StoreError::SuiteReadsFile {
            suite: shown.to_string(),
            file: file.to_string(),
        });
    }
    Ok(scenario)
}

const SELECT: &str = "SELECT s.name, s.source, s.text, s.version_id, s.set_id, t.name, s.cases, s.added_at, s.added_by FROM suites s LEFT JOIN trace_sets t ON t.id = s.set_id";

fn row_to_suite(r: &rusqlite::Row<'_>) -> rusqlite::Result<Suite> {
    let text: String = r.get(2)?;
    let name: String = r.get(0)?;
    let title = Scenario::parse(Path::new(&name), &text)
        .ok()
        .and_then(|s| s.name().map(str::to_string));
    Ok(Suite {
        info: SuiteInfo {
            name,
            title,
            source: r.get(1)?,
            version: r.get(3)?,
            set: r.get(4)?,
            set_name: r.get(5)?,
            cases: r.get(6)?,
            added_at: crate::columns::time(r, 7)?,
            added_by: r.get(8)?,
        },
        text,
    })
}

impl Workspace {
    /// Stores a new suite: checked first (a malformed file is an error at
    /// `source:line:column` and nothing is stored), its bindings resolved
    /// (an unknown version or trace set is named in the error), then
    /// stored with its audit event in one transaction. A suite of that
    /// name must not exist (see [`Workspace::replace_suite`]).
    pub fn add_suite(&mut self, new: &NewSuite<'_>, actor: &str) -> Result<SuiteInfo> {
        self.put_suite(new, actor, false)
    }

    /// Replaces the text and bindings of the suite called `new.name`, which
    /// must exist; checked and recorded as [`Workspace::add_suite`] does.
    pub fn replace_suite(&mut self, new: &NewSuite<'_>, actor: &str) -> Result<SuiteInfo> {
        self.put_suite(new, actor, true)
    }

    fn put_suite(&mut self, new: &NewSuite<'_>, actor: &str, replace: bool) -> Result<SuiteInfo> {
        check_name(new.name)?;
        let scenario = parse(new.source, new.text)?;
        let version = new.version.map(|v| self.resolve_version(v)).transpose()?;
        let set = new.traces.map(|t| self.trace_set(t)).transpose()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let exists: Option<i64> = tx
            .query_row("SELECT id FROM suites WHERE name = ?1", [new.name], |r| {
                r.get(0)
            })
            .optional()?;
        match (exists, replace) {
            (Some(_), false) => {
                return Err(StoreError::NameTaken {
                    what: "suite",
                    name: new.name.to_string(),
                })
            }
            (None, true) => {
                return Err(StoreError::NotFound {
                    what: "suite",
                    id: new.name.to_string(),
                })
            }
            _ => {}
        }
        if replace {
            crate::review_sql::guard_suite(&tx, new.name)?;
        }
        let now = now_rfc3339();
        let cases = scenario.case_count() as i64;
        let set_id = set.as_ref().map(|s| s.id);
        if replace {
            tx.execute(
                "UPDATE suites SET source = ?2, text = ?3, version_id = ?4, set_id = ?5, cases = ?6, added_at = ?7, added_by = ?8 WHERE name = ?1",
                params![new.name, new.source, new.text, version, set_id, cases, now, actor],
            )?;
        } else {
            tx.execute(
                "INSERT INTO suites (name, source, text, version_id, set_id, cases, added_at, added_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![new.name, new.source, new.text, version, set_id, cases, now, actor],
            )?;
        }
        audit::append(
            &tx,
            actor,
            if replace {
                "suite.replace"
            } else {
                "suite.add"
            },
            &serde_json::json!({
                "suite": new.name,
                "source": new.source,
                "sha256": writ_base::sha256_hex(new.text.as_bytes()),
                "cases": cases,
                "version": version,
                "set": set_id,
            }),
        )?;
        tx.commit()?;
        Ok(self.suite(new.name)?.info)
    }

    /// Every suite, by name.
    pub fn list_suites(&self) -> Result<Vec<SuiteInfo>> {
        let mut stmt = self.conn.prepare(&format!("{SELECT} ORDER BY s.name"))?;
        let rows = stmt.query_map([], row_to_suite)?;
        Ok(rows
            .map(|r| r.map(|s| s.info))
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// One suite with its text.
    pub fn suite(&self, name: &str) -> Result<Suite> {
        self.conn
            .query_row(&format!("{SELECT} WHERE s.name = ?1"), [name], row_to_suite)
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: "suite",
                id: name.to_string(),
            })
    }

    /// Removes a suite (recorded in the audit trail).
    pub fn remove_suite(&mut self, name: &str, actor: &str) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        crate::review_sql::guard_suite(&tx, name)?;
        let n = tx.execute("DELETE FROM suites WHERE name = ?1", [name])?;
        if n == 0 {
            return Err(StoreError::NotFound {
                what: "suite",
                id: name.to_string(),
            });
        }
        audit::append(
            &tx,
            actor,
            "suite.remove",
            &serde_json::json!({"suite": name}),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Runs the named suites ([`ALL`] alone for every suite), each against
    /// its bound version and trace set unless `overrides` names others.
    /// An unknown suite or override is an error before anything runs; a
    /// suite that cannot run (no version, a version with errors, a missing
    /// trace line) is reported in its [`SuiteOutcome`] and the others run.
    pub fn run_suites(&self, names: &[&str], overrides: Overrides<'_>) -> Result<SuiteRun> {
        let suites: Vec<Suite> = if names == [ALL] {
            let mut stmt = self.conn.prepare(&format!("{SELECT} ORDER BY s.name"))?;
            let rows = stmt.query_map([], row_to_suite)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        } else {
            names.iter().map(|n| self.suite(n)).collect::<Result<_>>()?
        };
        let version_override = overrides
            .version
            .map(|v| self.resolve_version(v))
            .transpose()?;
        let set_override = overrides.traces.map(|t| self.trace_set(t)).transpose()?;
        let mut evaluators: HashMap<String, Result<(Project, Evaluator)>> = HashMap::new();
        let mut out = SuiteRun::default();
        for suite in suites {
            let info = &suite.info;
            let version = version_override.clone().or_else(|| info.version.clone());
            let set = match &set_override {
                Some(s) => Some((s.id, s.name.clone())),
                None => info.set.zip(info.set_name.clone()),
            };
            let before = out.run.cases.len();
            let result = self.run_one(
                &suite,
                version.as_deref(),
                set.as_ref(),
                &mut evaluators,
                &mut out.run,
            );
            let (error, problem) = match result {
                Ok(()) => (None, None),
                Err(e) => {
                    out.run.cases.truncate(before);
                    (Some(e.message), e.problem)
                }
            };
            out.suites.push(SuiteOutcome {
                name: info.name.clone(),
                version,
                set: set.map(|(_, n)| n),
                cases: out.run.cases.len() - before,
                error,
                problem,
            });
        }
        Ok(out)
    }

    /// Runs one suite; errors are readable messages naming the suite.
    fn run_one(
        &self,
        suite: &Suite,
        version: Option<&str>,
        set: Option<&(i64, String)>,
        evaluators: &mut HashMap<String, Result<(Project, Evaluator)>>,
        run: &mut TestRun,
    ) -> std::result::Result<(), NotRun> {
        let name = &suite.info.name;
        let scenario = Scenario::parse(Path::new(name), &suite.text).map_err(|e| e.to_string())?;
        let Some(version) = version else {
            return Err(NotRun {
                message: format!(
                    "suite `{name}` is bound to no version; bind it to one, or name the version to run it against"
                ),
                problem: Some(SuiteProblem::NoVersion {
                    suite: name.clone(),
                }),
            });
        };
        let short = &version[..version.len().min(12)];
        let (project, shared) = evaluators
            .entry(version.to_string())
            .or_insert_with(|| self.evaluator(version))
            .as_ref()
            .map_err(|e| NotRun {
                message: format!("suite `{name}` cannot run: {e}"),
                problem: match e {
                    StoreError::VersionHasErrors { version, .. } => {
                        Some(SuiteProblem::VersionHasErrors {
                            version: version.clone(),
                        })
                    }
                    _ => None,
                },
            })?;
        // A suite adding entities of its own decides with them added.
        let own;
        let ev = if scenario.adds_entities() {
            own = scenario
                .evaluator(&format!("@{short}"), project, None)
                .map_err(|e| format!("suite `{name}` cannot run: {e}"))?;
            &own
        } else {
            shared
        };
        let needed = scenario.trace_lines_needed();
        let mut lines = HashMap::new();
        let mut missing = String::from("the suite is bound to no trace set");
        if !needed.is_empty() {
            let Some((set_id, set_name)) = set else {
                return Err(NotRun {
                    message: format!(
                        "suite `{name}` has {} case(s) on trace lines but no trace set; bind it to one, or name the trace set to run it with",
                        needed.len()
                    ),
                    problem: Some(SuiteProblem::NoTraceSet {
                        suite: name.clone(),
                    }),
                });
            };
            let mut stmt = self
                .conn
                .prepare_cached("SELECT record FROM actions WHERE set_id = ?1 AND line = ?2")
                .map_err(|e| e.to_string())?;
            for n in needed {
                let rec: Option<String> = stmt
                    .query_row(params![set_id, n as i64], |r| r.get(0))
                    .optional()
                    .map_err(|e| e.to_string())?;
                if let Some(rec) = rec {
                    lines.insert(n, rec);
                }
            }
            missing = format!("trace set `{set_name}` holds no action on that line");
        }
        let title = scenario
            .name()
            .map(str::to_string)
            .unwrap_or_else(|| name.clone());
        scenario
            .run(&title, &format!("@{short}"), ev, &lines, &missing, run)
            .map_err(|e| NotRun::from(e.to_string()))
    }

    /// The evaluator of a stored version, or why it has none.
    fn evaluator(&self, version: &str) -> Result<(Project, Evaluator)> {
        let checked = self.project(version)?;
        let ev = Evaluator::from_project(format!("@{}", checked.short), &checked.project);
        Ok((checked.project, ev))
    }
}
