//! Typed values in and out of SQLite columns: verdicts, decisions and UTC
//! times are stored as text and read back as [`Verdict`], [`Decision`] and
//! [`UtcTime`], and a
//! column holding anything else is an error naming the column, never a
//! silently empty value.

use rusqlite::types::Type;
use rusqlite::ToSql;
use writ_base::time::UtcTime;
use writ_core::evaluate::Verdict;
use writ_core::trace::Decision;

/// The verdicts' stored names, indexed by the verdict's discriminant
/// (declaration order; the round-trip test below checks every verdict).
static VERDICT_NAMES: [&str; 5] = [
    Verdict::Allowed.as_str(),
    Verdict::DeniedByForbid.as_str(),
    Verdict::NotPermitted.as_str(),
    Verdict::NeedsStepUp.as_str(),
    Verdict::Error.as_str(),
];

/// `verdict` as a statement parameter (its stored name; a statement's
/// parameters borrow, so the name must live in a static).
pub(crate) fn verdict_param(verdict: Verdict) -> &'static dyn ToSql {
    &VERDICT_NAMES[verdict as usize]
}

/// A value column `col` may not hold.
pub(crate) fn bad_value(col: usize, what: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        col,
        Type::Text,
        format!("`{value}` is not a {what}").into(),
    )
}

/// The verdict in column `col`.
pub(crate) fn verdict(row: &rusqlite::Row<'_>, col: usize) -> rusqlite::Result<Verdict> {
    let text: String = row.get(col)?;
    Verdict::parse(&text).ok_or_else(|| bad_value(col, "verdict", &text))
}

/// The verdict in column `col`, when the column is not NULL.
pub(crate) fn optional_verdict(
    row: &rusqlite::Row<'_>,
    col: usize,
) -> rusqlite::Result<Option<Verdict>> {
    let text: Option<String> = row.get(col)?;
    text.map(|t| Verdict::parse(&t).ok_or_else(|| bad_value(col, "verdict", &t)))
        .transpose()
}

/// The decision stored as `allow` or `deny`, read from column `col`.
pub(crate) fn decision(col: usize, text: &str) -> rusqlite::Result<Decision> {
    match text {
        "allow" => Ok(Decision::Allow),
        "deny" => Ok(Decision::Deny),
        other => Err(bad_value(col, "decision", other)),
    }
}

/// The UTC time in column `col` (RFC 3339 text).
pub(crate) fn time(row: &rusqlite::Row<'_>, col: usize) -> rusqlite::Result<UtcTime> {
    let text: String = row.get(col)?;
    UtcTime::parse(&text).map_err(|_| bad_value(col, "UTC time", &text))
}

/// The UTC time in column `col`, when the column is not NULL.
pub(crate) fn optional_time(
    row: &rusqlite::Row<'_>,
    col: usize,
) -> rusqlite::Result<Option<UtcTime>> {
    let text: Option<String> = row.get(col)?;
    text.map(|t| UtcTime::parse(&t).map_err(|_| bad_value(col, "UTC time", &t)))
        .transpose()
}

/// The JSON document in text column `col`, read as `T`.
pub(crate) fn json<T: serde::de::DeserializeOwned>(col: usize, text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(col, Type::Text, Box::new(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_verdict_is_its_own_parameter_and_reads_back() {
        let conn = rusqlite::Connection::open_in_memory().expect("memory db");
        for v in Verdict::ALL {
            let back = conn
                .query_row("SELECT ?1", [verdict_param(v)], |r| verdict(r, 0))
                .expect("reads");
            assert_eq!(back, v);
        }
        let e = conn
            .query_row("SELECT 'maybe'", [], |r| verdict(r, 0))
            .unwrap_err();
        assert!(e.to_string().contains("`maybe` is not a verdict"), "{e}");
        let none = conn
            .query_row("SELECT NULL", [], |r| optional_verdict(r, 0))
            .expect("reads");
        assert_eq!(none, None);
        assert_eq!(decision(0, "allow").expect("allow"), Decision::Allow);
        assert_eq!(decision(0, "deny").expect("deny"), Decision::Deny);
        let e = decision(2, "Allow").unwrap_err();
        assert!(e.to_string().contains("`Allow` is not a decision"), "{e}");
    }

    #[test]
    fn times_read_back_typed_and_bad_text_is_an_error() {
        let conn = rusqlite::Connection::open_in_memory().expect("memory db");
        let t = conn
            .query_row("SELECT '2026-11-02T06:00:00.250Z'", [], |r| time(r, 0))
            .expect("reads");
        assert_eq!(t.to_string(), "2026-11-02T06:00:00.250Z");
        let e = conn
            .query_row("SELECT 'noon'", [], |r| time(r, 0))
            .unwrap_err();
        assert!(e.to_string().contains("`noon` is not a UTC time"), "{e}");
        assert_eq!(
            conn.query_row("SELECT NULL", [], |r| optional_time(r, 0))
                .expect("reads"),
            None
        );
    }
}
