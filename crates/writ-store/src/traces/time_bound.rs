//! The time bounds of a trace filter: an ISO 8601 UTC date, or date and
//! time, as an analyst types it (`2026-11-02`, `2026-11-02T06:00`,
//! `2026-11-02T06:00:00.5Z`), compared as text with the records' RFC 3339
//! UTC timestamps (a shorter bound sorts before every time it starts).

/// One checked time bound (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeBound(String);

/// Text that is not a time bound.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{}` is not a time; write it as ISO 8601 in UTC, e.g. 2026-11-02 or 2026-11-02T06:00:00Z",
    writ_core::display::quoted_input(.text)
)]
pub struct BadTimeBound {
    /// The text as given.
    pub text: String,
}

/// Longest bound accepted (`2026-11-02T06:00:00.123456789Z` is 30).
const MAX_BOUND_BYTES: usize = 35;

impl TimeBound {
    /// Reads a bound: a `YYYY-MM-DD` date, optionally followed by `T` and a
    /// time of digits, `:`, `.` and `Z`. Surrounding blanks are dropped.
    pub fn parse(text: &str) -> Result<Self, BadTimeBound> {
        let t = text.trim();
        let b = t.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        let date_ok = b.len() >= 10
            && digits(0..4)
            && b[4] == b'-'
            && digits(5..7)
            && b[7] == b'-'
            && digits(8..10);
        let rest_ok = b.len() <= MAX_BOUND_BYTES
            && matches!(b.get(10), None | Some(b'T'))
            && b.iter()
                .skip(11)
                .all(|c| c.is_ascii_digit() || matches!(c, b':' | b'.' | b'Z'));
        if date_ok && rest_ok {
            Ok(TimeBound(t.to_string()))
        } else {
            Err(BadTimeBound {
                text: text.to_string(),
            })
        }
    }

    /// Reads an optional bound where blank means none (a form's empty field).
    pub fn parse_optional(text: Option<&str>) -> Result<Option<Self>, BadTimeBound> {
        match text.map(str::trim) {
            None | Some("") => Ok(None),
            Some(t) => TimeBound::parse(t).map(Some),
        }
    }

    /// The bound's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for TimeBound {
    type Err = BadTimeBound;

    fn from_str(text: &str) -> Result<Self, BadTimeBound> {
        TimeBound::parse(text)
    }
}

impl std::fmt::Display for TimeBound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl rusqlite::ToSql for TimeBound {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        self.0.to_sql()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_date_times_are_bounds_and_nothing_else_is() {
        for ok in [
            "2026-11-02",
            " 2026-11-02T06:00 ",
            "2026-11-02T06:00:00Z",
            "2026-11-02T06:00:00.5Z",
        ] {
            let b = TimeBound::parse(ok).expect(ok);
            assert_eq!(b.as_str(), ok.trim());
        }
        for bad in [
            "",
            "yesterday",
            "2026-11-02 06:00",
            "2026-11-02T06:00'--",
            "2026-1-02",
            "2026-11-02T06:00:00+01:00",
            &format!("2026-11-02T{}", "0".repeat(30)),
        ] {
            let e = TimeBound::parse(bad).unwrap_err();
            assert_eq!(e.text, bad);
        }
        let huge = TimeBound::parse(&"9".repeat(100_000)).unwrap_err();
        assert!(
            huge.to_string().len() < 300,
            "the message quotes a bounded part"
        );
        assert_eq!(TimeBound::parse_optional(Some("  ")), Ok(None));
        assert_eq!(TimeBound::parse_optional(None), Ok(None));
        assert!(TimeBound::parse_optional(Some("x")).is_err());
    }
}
