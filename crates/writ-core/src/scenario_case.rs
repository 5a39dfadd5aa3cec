//! A scenario case written from one decided request: "save as test case"
//! in the workbench's test bench and `writ suites add-case`. The case
//! carries the request inline (`[case.record]`) and expects what the
//! engine decided (decision, determining policies, verdict), so the suite
//! fails if a later version decides it differently.

use crate::bench::BenchResult;
use crate::trace::parse_record;
use serde_json::Value;

/// Why a case cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// The case needs a name.
    #[error("a test case needs a name saying what it pins")]
    NoName,
    /// The name is too long.
    #[error("a test case name is at most {MAX_CASE_NAME_CHARS} characters")]
    NameTooLong,
    /// The record is not a valid trace record.
    #[error("the request is not a valid trace record: {0}")]
    BadRecord(String),
    /// The record has something TOML cannot hold (a JSON null).
    #[error("the request cannot be written as TOML: {0}")]
    NotToml(String),
}

/// Longest case name accepted (characters).
pub const MAX_CASE_NAME_CHARS: usize = 200;

/// The `[[case]]` block (TOML text, ending with a newline) named `name`
/// for the trace record `record_line` (one JSON object in Writ's native
/// trace format), expecting `decided`: its decision, its determining
/// policies and its verdict.
pub fn case_toml(
    name: &str,
    record_line: &str,
    decided: &BenchResult,
) -> Result<String, CaseError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(CaseError::NoName);
    }
    if name.chars().count() > MAX_CASE_NAME_CHARS {
        return Err(CaseError::NameTooLong);
    }
    // The record must read back as the trace record it is.
    parse_record(1, record_line).map_err(|e| CaseError::BadRecord(e.message))?;
    let record: Value =
        serde_json::from_str(record_line).map_err(|e| CaseError::BadRecord(e.to_string()))?;
    let record = toml::Value::try_from(&record).map_err(|e| CaseError::NotToml(e.to_string()))?;
    let mut expect = toml::Table::new();
    expect.insert("decision".into(), decided.decision.as_str().into());
    let reasons: Vec<toml::Value> = decided
        .policies
        .iter()
        .map(|p| toml::Value::from(p.id.as_str()))
        .collect();
    expect.insert("reasons".into(), toml::Value::Array(reasons));
    expect.insert(
        "errors".into(),
        toml::Value::Integer(decided.errors.len() as i64),
    );
    expect.insert("verdict".into(), decided.verdict.as_str().into());
    let mut case = toml::Table::new();
    case.insert("name".into(), name.into());
    case.insert("expect".into(), toml::Value::Table(expect));
    case.insert("record".into(), record);
    let mut doc = toml::Table::new();
    doc.insert(
        "case".into(),
        toml::Value::Array(vec![toml::Value::Table(case)]),
    );
    toml::to_string(&doc).map_err(|e| CaseError::NotToml(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::{check_project, today_utc};
    use crate::scenario::Scenario;
    use std::path::Path;

    const LINE: &str = r#"{"ts":"2026-11-04T10:00:00Z","agent":"spiffe://acme.example/agents/support-bot","action":"read_ticket","resource":{"type":"Ticket","id":"T-1"},"context":{"intent":"answer_tickets","environment":"staging","risk_score":10,"credential_kind":"short_lived","credential_ttl_secs":600},"outcome":"executed"}"#;

    fn sample_v2() -> crate::project::Project {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-policies/v2");
        check_project(&root, today_utc())
            .project
            .expect("the sample checks")
    }

    #[test]
    fn a_written_case_parses_and_passes_against_the_version_that_decided_it() {
        let project = sample_v2();
        let record = parse_record(1, LINE).expect("the record");
        let decided = crate::bench::decide_record(&project, &record);
        let block = case_toml("support reads a ticket in staging", LINE, &decided).expect("a case");
        assert!(block.contains("[[case]]"), "{block}");
        let text = format!("name = \"pinned\"\n\n{block}");
        let scenario = Scenario::parse(Path::new("pinned.toml"), &text).expect("it parses");
        assert_eq!(scenario.case_count(), 1);
        let ev = crate::evaluate::Evaluator::from_project("v2", &project);
        let mut run = crate::scenario::TestRun::default();
        scenario
            .run(
                "pinned",
                "v2",
                &ev,
                &Default::default(),
                "no trace",
                &mut run,
            )
            .expect("it runs");
        assert_eq!(run.failed(), 0, "{block}");
        assert_eq!(run.passed(), 1);
        // A case expecting the other decision fails: the expectation is real.
        let mut wrong = decided.clone();
        wrong.decision = match decided.decision {
            crate::trace::Decision::Allow => crate::trace::Decision::Deny,
            crate::trace::Decision::Deny => crate::trace::Decision::Allow,
        };
        let block = case_toml("pinned wrong", LINE, &wrong).expect("a case");
        let scenario = Scenario::parse(Path::new("wrong.toml"), &block).expect("it parses");
        let mut run = crate::scenario::TestRun::default();
        scenario
            .run(
                "wrong",
                "v2",
                &ev,
                &Default::default(),
                "no trace",
                &mut run,
            )
            .expect("it runs");
        assert_eq!(run.failed(), 1);
    }

    #[test]
    fn names_and_records_are_checked() {
        let project = sample_v2();
        let record = parse_record(1, LINE).expect("the record");
        let decided = crate::bench::decide_record(&project, &record);
        assert!(matches!(
            case_toml("  ", LINE, &decided),
            Err(CaseError::NoName)
        ));
        let long = "x".repeat(MAX_CASE_NAME_CHARS + 1);
        assert!(matches!(
            case_toml(&long, LINE, &decided),
            Err(CaseError::NameTooLong)
        ));
        assert!(matches!(
            case_toml("n", "{}", &decided),
            Err(CaseError::BadRecord(_))
        ));
        let with_null = LINE.replace("\"environment\":\"staging\"", "\"environment\":null");
        assert!(case_toml("n", &with_null, &decided).is_err());
        // A name with quotes and newlines stays one TOML string.
        let odd = "says \"hi\"\nand ] [[case]]";
        let block = case_toml(odd, LINE, &decided).expect("a case");
        let scenario = Scenario::parse(Path::new("odd.toml"), &block).expect("it parses");
        assert_eq!(scenario.case_count(), 1);
    }
}
