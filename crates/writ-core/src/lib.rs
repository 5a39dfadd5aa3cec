//! Writ's engine: Cedar policy projects for AI agents, checked like code,
//! and decided over recorded agent actions.
//!
//! # Overview
//! The data path is one straight line:
//!
//! *project on disk* → [`project::check_project`] (schema, policies with
//! Writ ids, inventory → entities; every problem a located
//! [`diagnostic::Diagnostic`]) → [`evaluate::Evaluator`] (one version ready
//! to decide) → [`replay::replay`] (a trace, streamed in batches over all
//! cores) → a [`replay::ResultSink`] ([`summary::ReplaySummary`],
//! [`diff::DecisionDiff`], a file writer, the app).
//!
//! - [`policies`] parses policy files and names each policy by its `@id`.
//! - [`schema`] and [`shape`] compile the schema's request and entity types
//!   so requests are checked without re-validating each one with Cedar.
//! - [`inventory`] reads `inventory.toml` and builds the Cedar entities;
//!   [`entities_file`] reads `entities.json` and merges the two, and
//!   [`entity_data`] gives a project's entities as bundles carry them;
//!   [`links`] links templates from `links.json`.
//! - [`trace`] reads Writ's native JSON Lines trace; [`resolve`] maps agent
//!   identities to principals (unknown ones are shadow agents); [`uid`] reads
//!   Cedar uid literals as Cedar does.
//! - [`projection`] finds which context attributes the policies can read per
//!   action, so equal relevant requests are decided once.
//! - [`scenario`] runs scenario files and Cedar `run-tests` files;
//!   [`format`] formats policies.
//!
//! ```no_run
//! use writ_core::{evaluate::Evaluator, project, replay, summary::ReplaySummary};
//! let report = project::check_project("sample-policies/v1".as_ref(), project::today_utc());
//! let project = report.project.expect("no errors");
//! let ev = Evaluator::from_project("v1", &project);
//! let trace = std::io::BufReader::new(std::fs::File::open("scenarios/traces/recorded.jsonl").unwrap());
//! let mut summary = ReplaySummary::default();
//! replay::replay(trace, &[&ev], &replay::ReplayOptions::default(), &mut summary, &|_| {}).unwrap();
//! println!("{} actions, {} allowed", summary.actions, summary.verdicts.get(writ_core::evaluate::Verdict::Allowed));
//! ```

#![warn(missing_docs)]

pub mod agent_label;
pub mod atomic_file;
pub mod bench;
pub mod decision_log;
pub mod diagnostic;
pub mod diff;
pub mod display;
pub mod draft;
pub mod entities_file;
pub mod entity_data;
pub mod entity_list;
pub mod evaluate;
pub mod faults;
pub mod findings;
pub mod format;
pub mod fuzz_entry;
pub mod grants;
pub mod ingest;
pub mod inventory;
pub mod inventory_edit;
pub mod json_locate;
pub mod links;
pub mod locate;
pub mod new_folder;
pub mod now_rule;
pub mod policies;
pub mod policy_index;
pub mod project;
pub mod projection;
pub mod replay;
pub mod resolve;
pub mod scenario;
pub mod scenario_case;
pub mod schema;
pub mod shape;
pub mod summary;
pub mod trace;
pub mod uid;
