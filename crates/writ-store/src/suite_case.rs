//! Adding one decided request to a stored suite as a test case: the
//! request is decided against a stored version, and the case expecting
//! that decision is appended to the suite's text (checked and audited as
//! any replacement of the suite). The workbench's "Save as test case" and
//! `writ suites add-case` both call [`Workspace::add_case`].

use crate::error::{Result, StoreError};
use crate::suites::{NewSuite, SuiteInfo};
use crate::workspace::Workspace;
use writ_core::bench::{decide_record, BenchResult};
use writ_core::scenario_case::{case_toml, CaseError};
use writ_core::trace::parse_record;

/// A case added to a suite.
#[derive(Debug, Clone)]
pub struct AddedCase {
    /// The suite after the addition.
    pub suite: SuiteInfo,
    /// The full id of the version that decided the request.
    pub version: String,
    /// What it decided: what the case now expects.
    pub decided: BenchResult,
}

impl Workspace {
    /// Decides `record_line` (one trace record in Writ's native format)
    /// against `version` (default: the suite's bound version) and appends
    /// a case named `name` expecting that decision to suite `suite`. The
    /// suite keeps its bindings; a suite under review is refused as
    /// [`Workspace::replace_suite`] refuses it.
    pub fn add_case(
        &mut self,
        suite: &str,
        name: &str,
        record_line: &str,
        version: Option<&str>,
        actor: &str,
    ) -> Result<AddedCase> {
        let stored = self.suite(suite)?;
        let version = match version {
            Some(v) => v.to_string(),
            None => stored
                .info
                .version
                .clone()
                .ok_or_else(|| StoreError::CaseNeedsVersion {
                    suite: suite.to_string(),
                })?,
        };
        let checked = self.project(&version)?;
        let record = parse_record(1, record_line).map_err(|e| CaseError::BadRecord(e.message))?;
        let decided = decide_record(&checked.project, &record);
        let block = case_toml(name, record_line, &decided)?;
        let text = format!("{}\n\n{block}", stored.text.trim_end());
        let set = stored.info.set.map(|s| s.to_string());
        let info = self.replace_suite(
            &NewSuite {
                name: suite,
                text: &text,
                source: &stored.info.source,
                version: stored.info.version.as_deref(),
                traces: set.as_deref(),
            },
            actor,
        )?;
        Ok(AddedCase {
            suite: info,
            version: checked.id,
            decided,
        })
    }
}
