//! Every Writ decision path writ-core has, run over one generated case and
//! compared request by request with Cedar's answer.

use super::reference::{Answer, Reference};
use cedar_policy::Entities;
use rayon::ThreadPool;
use std::path::Path;
use std::sync::OnceLock;
use writ_cedargen::{Case, GenPolicy};
use writ_core::diff::{ChangeKind, DecisionDiff};
use writ_core::evaluate::{Evaluator, Outcome, Verdict};
use writ_core::policies::{parse_policy_files, PolicyCatalog, PolicySource};
use writ_core::replay::{replay, Collect, ReplayOptions, ResultSink};
use writ_core::resolve::Resolver;
use writ_core::scenario::{run_cedar_tests, TestRun};
use writ_core::schema::ProjectSchema;
use writ_core::trace::parse_record;

/// Requests per case put in the Cedar run-tests file (each test case builds
/// its own evaluator and entities, so the file is kept short).
const RUN_TESTS_PER_CASE: usize = 4;

/// The timestamp of every generated record.
pub const TS: &str = "2026-01-01T00:00:00Z";

/// One disagreement between a Writ path and Cedar.
#[derive(Debug, Clone)]
pub struct Mismatch {
    /// The Writ path (`replay reuse 1 thread`, `decide_reference`, ...).
    pub path: String,
    /// Index in the case's stream (`None` for a whole-case problem).
    pub at: Option<usize>,
    /// What Cedar says Writ must answer.
    pub want: String,
    /// What Writ answered.
    pub got: String,
}

/// What running one case gave.
#[derive(Debug, Default)]
pub struct CaseRun {
    /// Requests compared (stream length times paths compared per request).
    pub comparisons: usize,
    /// Requests in the stream.
    pub requests: usize,
    /// Disagreements.
    pub mismatches: Vec<Mismatch>,
}

fn pool(threads: usize) -> &'static ThreadPool {
    static POOLS: OnceLock<[ThreadPool; 2]> = OnceLock::new();
    let pools = POOLS.get_or_init(|| {
        let make = |n| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .expect("thread pool")
        };
        [make(1), make(2)]
    });
    &pools[usize::from(threads > 1)]
}

/// Writ's catalogue of a policy list (policies named by `@id`).
///
/// Templates and links: today a Writ project refuses templates, so with
/// [`writ_cedargen::GenOptions::templates`] on, Writ gets no links and the
/// harness reports the difference. When links land in `PolicyCatalog`
/// (issue 12, section 2), link them here from `case.links`.
fn catalog(policies: &[GenPolicy]) -> Result<PolicyCatalog, String> {
    let text = writ_cedargen::policies_text(policies);
    let path = Path::new("policies.cedar");
    let (catalog, diags) = parse_policy_files(&[PolicySource { path, text: &text }]);
    match diags.iter().find(|d| d.is_error()) {
        Some(d) => Err(format!(
            "Writ refuses the policies: {}: {}",
            d.code, d.message
        )),
        None => Ok(catalog),
    }
}

/// Writ's evaluators for versions A and B of a case.
fn evaluators(case: &Case) -> Result<(Evaluator, Evaluator), String> {
    let (schema, _) = ProjectSchema::load(Path::new("schema.cedarschema"), &case.schema_text)
        .map_err(|d| {
            let d = d.first().map(|d| format!("{}: {}", d.code, d.message));
            format!("Writ refuses the schema: {}", d.unwrap_or_default())
        })?;
    let entities = Entities::from_json_value(case.entities.clone(), Some(&schema.schema))
        .map_err(|e| format!("entities: {e}"))?;
    let make = |name: &str, policies: &[GenPolicy]| -> Result<Evaluator, String> {
        Ok(Evaluator::new(
            name,
            catalog(policies)?,
            Some(schema.clone()),
            entities.clone(),
            Resolver::default(),
        ))
    };
    Ok((make("A", &case.policies)?, make("B", &case.policies_b)?))
}

/// Whether Writ's outcome is the answer Cedar requires; `None` when it is,
/// else Writ's answer described.
pub fn disagrees(want: &Answer, got: &Outcome) -> Option<String> {
    let ok = match want {
        Answer::RequestError(_) => got.request_error.is_some() && got.verdict == Verdict::Error,
        Answer::Decided {
            decision,
            reasons,
            errors,
        } => {
            let got_reasons: Vec<String> = got.reasons.iter().map(|r| r.to_string()).collect();
            let mut got_errors: Vec<String> =
                got.errors.iter().map(|e| e.policy.to_string()).collect();
            got_errors.sort();
            got.request_error.is_none()
                && got.decision == *decision
                && &got_reasons == reasons
                && &got_errors == errors
        }
    };
    (!ok).then(|| describe_outcome(got))
}

fn describe_outcome(o: &Outcome) -> String {
    match &o.request_error {
        Some(e) => format!("verdict {} with request error: {e}", o.verdict.as_str()),
        None => format!(
            "{} reasons {:?} errors {:?} (verdict {})",
            o.decision.as_str(),
            o.reasons,
            o.errors
                .iter()
                .map(|e| format!("{}: {}", e.policy, e.message))
                .collect::<Vec<_>>(),
            o.verdict.as_str()
        ),
    }
}

/// Describes a Cedar answer.
pub fn describe_answer(a: &Answer) -> String {
    match a {
        Answer::RequestError(e) => format!("request error (Cedar: {e})"),
        Answer::Decided {
            decision,
            reasons,
            errors,
        } => format!(
            "{} reasons {reasons:?} errors {errors:?}",
            decision.as_str()
        ),
    }
}

/// The case's stream as a native trace.
pub fn trace(case: &Case) -> String {
    case.stream
        .iter()
        .map(|&i| format!("{}\n", case.pool[i].trace_line(TS)))
        .collect()
}

/// Replays `trace` against `versions` on a pool of `threads` threads;
/// one list of outcomes per line (one per version).
fn run_replay(
    trace: &str,
    versions: &[&Evaluator],
    options: &ReplayOptions,
    threads: usize,
    extra: Option<&mut DecisionDiff>,
) -> Result<Vec<Vec<Outcome>>, String> {
    struct Both<'a> {
        collect: Collect,
        diff: Option<&'a mut DecisionDiff>,
    }
    impl ResultSink for Both<'_> {
        fn result(
            &mut self,
            r: &writ_core::replay::ActionResult,
        ) -> Result<(), writ_core::replay::SinkError> {
            if let Some(d) = self.diff.as_deref_mut() {
                d.add(r);
            }
            self.collect.result(r)
        }
        fn bad_line(
            &mut self,
            e: &writ_core::trace::LineError,
        ) -> Result<(), writ_core::replay::SinkError> {
            self.collect.bad_line(e)
        }
    }
    let mut sink = Both {
        collect: Collect::default(),
        diff: extra,
    };
    pool(threads)
        .install(|| replay(trace.as_bytes(), versions, options, &mut sink, &|_| {}))
        .map_err(|e| format!("replay failed: {e}"))?;
    if let Some(bad) = sink.collect.bad_lines.first() {
        return Err(format!(
            "Writ refuses trace line {}: {}",
            bad.line, bad.message
        ));
    }
    Ok(sink
        .collect
        .results
        .into_iter()
        .map(|r| r.evaluations.iter().map(|e| (*e.outcome).clone()).collect())
        .collect())
}

/// Runs every Writ path over `case` and compares each answer with Cedar's.
pub fn run_case(case: &Case) -> CaseRun {
    let mut run = CaseRun {
        requests: case.stream.len(),
        ..CaseRun::default()
    };
    let whole = |path: &str, got: String| Mismatch {
        path: path.into(),
        at: None,
        want: "Writ accepts the case as Cedar does".into(),
        got,
    };
    let reference = match Reference::new(case) {
        Ok(r) => r,
        Err(e) => {
            // The generator made something Cedar refuses: a generator bug.
            run.mismatches.push(whole("generator", e));
            return run;
        }
    };
    let want: Vec<[Answer; 2]> = case
        .stream
        .iter()
        .map(|&i| {
            let req = &case.pool[i];
            [
                reference.answer(case, req, 0),
                reference.answer(case, req, 1),
            ]
        })
        .collect();
    let (a, b) = match evaluators(case) {
        Ok(evs) => evs,
        Err(e) => {
            run.mismatches.push(whole("load", e));
            return run;
        }
    };
    let trace = trace(case);
    let mut compare = |path: &str, version: usize, got: &[Outcome]| {
        for (n, (w, o)) in want.iter().zip(got).enumerate() {
            run.comparisons += 1;
            if let Some(g) = disagrees(&w[version], o) {
                run.mismatches.push(Mismatch {
                    path: path.into(),
                    at: Some(n),
                    want: describe_answer(&w[version]),
                    got: g,
                });
            }
        }
    };

    let reuse = ReplayOptions::default();
    let no_reuse = ReplayOptions {
        reuse: false,
        ..ReplayOptions::default()
    };
    // Small batches so reuse crosses batch boundaries.
    let small_batches = ReplayOptions {
        batch_size: 5,
        ..ReplayOptions::default()
    };
    let runs: [(&str, &ReplayOptions, usize); 4] = [
        ("replay reuse 1 thread", &reuse, 1),
        ("replay no-reuse 1 thread", &no_reuse, 1),
        ("replay reuse 2 threads batch 5", &small_batches, 2),
        ("replay no-reuse 2 threads", &no_reuse, 2),
    ];
    let mut failures = Vec::new();
    for (path, options, threads) in runs {
        match run_replay(&trace, &[&a], options, threads, None) {
            Ok(got) => {
                let got: Vec<Outcome> = got.into_iter().flatten().collect();
                compare(path, 0, &got);
            }
            Err(e) => failures.push(whole(path, e)),
        }
    }

    // decide_reference, record by record.
    let reference_outcomes: Vec<Outcome> = trace
        .lines()
        .enumerate()
        .filter_map(|(n, line)| parse_record(n + 1, line).ok())
        .map(|r| a.decide_reference(&r))
        .collect();
    if reference_outcomes.len() == case.stream.len() {
        compare("decide_reference", 0, &reference_outcomes);
    }

    // diff: both sides, with reuse, two threads, and the diff's counts.
    let mut diff = DecisionDiff::new();
    match run_replay(&trace, &[&a, &b], &reuse, 2, Some(&mut diff)) {
        Ok(got) => {
            let side = |k: usize| -> Vec<Outcome> {
                got.iter().filter_map(|v| v.get(k).cloned()).collect()
            };
            compare("diff side A", 0, &side(0));
            compare("diff side B", 1, &side(1));
            let count = |from, to| {
                want.iter()
                    .filter(|w| w[0].decision() == from && w[1].decision() == to)
                    .count() as u64
            };
            use writ_core::trace::Decision::{Allow, Deny};
            let expected = (count(Allow, Deny), count(Deny, Allow));
            let counted = (
                diff.counts.get(ChangeKind::AllowToDeny),
                diff.counts.get(ChangeKind::DenyToAllow),
            );
            if expected != counted {
                failures.push(Mismatch {
                    path: "diff counts".into(),
                    at: None,
                    want: format!("allow->deny, deny->allow = {expected:?}"),
                    got: format!("{counted:?}"),
                });
            }
        }
        Err(e) => failures.push(whole("diff", e)),
    }

    // writ test on a Cedar run-tests file.
    match run_tests_path(case, &want) {
        Ok((n, mut m)) => {
            run.comparisons += n;
            failures.append(&mut m)
        }
        Err(e) => failures.push(whole("writ test", e)),
    }
    run.mismatches.extend(failures);
    run
}

/// `writ test` on a Cedar run-tests file holding the stream's requests that
/// Cedar decides, with Cedar's answers as expectations (exact reasons
/// checked as well).
fn run_tests_path(case: &Case, want: &[[Answer; 2]]) -> Result<(usize, Vec<Mismatch>), String> {
    use writ_cedargen::ids::{cedar_uid, same_in_json_and_cedar};
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let write = |name: &str, text: &str| -> Result<std::path::PathBuf, String> {
        let p = dir.path().join(name);
        std::fs::write(&p, text).map_err(|e| e.to_string())?;
        Ok(p)
    };
    let policies = write("policies.cedar", &case.policies_text())?;
    let schema = write("schema.cedarschema", &case.schema_text)?;
    write("entities.json", &case.entities.to_string())?;
    let mut tests = Vec::new();
    let mut expected = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (n, (&i, w)) in case.stream.iter().zip(want).enumerate() {
        // Each test builds its own evaluator: a few distinct requests.
        if tests.len() >= RUN_TESTS_PER_CASE || !seen.insert(i) {
            continue;
        }
        let req = &case.pool[i];
        let Answer::Decided {
            decision,
            reasons,
            errors,
        } = &w[0]
        else {
            continue;
        };
        let Ok(action) = Reference::action(case, req) else {
            continue;
        };
        let ids = [&req.principal.1, &req.resource.1, &req.action.1];
        if !case.options.cedar_syntax_uids_in_tests
            && !ids.iter().all(|id| same_in_json_and_cedar(id))
        {
            continue;
        }
        tests.push(serde_json::json!({
            "name": format!("request {n}"),
            "request": {
                "principal": cedar_uid(&req.principal.0, &req.principal.1),
                "action": action.to_string(),
                "resource": cedar_uid(&req.resource.0, &req.resource.1),
                "context": req.context,
            },
            "entities": "entities.json",
            "decision": decision.as_str(),
            "reason": reasons,
            "num_errors": errors.len(),
        }));
        expected.push((n, w[0].clone()));
    }
    let tests_path = write("tests.json", &serde_json::Value::Array(tests).to_string())?;
    let mut run = TestRun::default();
    run_cedar_tests(&policies, Some(&schema), &tests_path, &mut run)
        .map_err(|e| format!("writ test refuses the file: {e}"))?;
    let mut out = Vec::new();
    for (case_result, (n, w)) in run.cases.iter().zip(&expected) {
        let Answer::Decided { reasons, .. } = w else {
            continue;
        };
        if !case_result.passed || &case_result.reasons != reasons {
            out.push(Mismatch {
                path: "writ test".into(),
                at: Some(*n),
                want: describe_answer(w),
                got: format!(
                    "{} reasons {:?} errors {} failures {:?}",
                    case_result.decision.as_str(),
                    case_result.reasons,
                    case_result.errors,
                    case_result.failures
                ),
            });
        }
    }
    if run.cases.len() != expected.len() {
        out.push(Mismatch {
            path: "writ test".into(),
            at: None,
            want: format!("{} cases run", expected.len()),
            got: format!("{} cases run", run.cases.len()),
        });
    }
    Ok((expected.len(), out))
}
