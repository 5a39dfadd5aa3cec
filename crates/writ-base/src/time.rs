//! UTC timestamp texts: RFC 3339 in UTC with a fixed number of fraction
//! digits and a `Z`, so that two texts compare in the order of their times.
//! Formatted with the `time` crate's format descriptions.

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// `2026-04-30T13:17:35.632Z`: milliseconds, truncated.
const MILLIS: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// `2026-04-30T13:17:35.632028200Z`: nanoseconds.
const NANOS: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:9]Z");

fn format(t: OffsetDateTime, description: &[FormatItem<'static>]) -> String {
    // Formatting a date-time with a description of date, time and literals
    // into a String fails only for a year beyond four digits, which the
    // `time` crate cannot represent without its `large-dates` feature.
    t.to_offset(UtcOffset::UTC)
        .format(description)
        .unwrap_or_default()
}

/// `t` in UTC as RFC 3339 with milliseconds (truncated), e.g.
/// `2026-11-30T11:00:00.000Z` for `2026-11-30T12:00:00+01:00`.
pub fn utc_millis(t: OffsetDateTime) -> String {
    format(t, MILLIS)
}

/// The current time as [`utc_millis`] text.
pub fn now_utc_millis() -> String {
    utc_millis(OffsetDateTime::now_utc())
}

/// Nanoseconds since the Unix epoch as RFC 3339 with nanoseconds, e.g.
/// `2026-04-30T13:17:35.632028200Z`; `None` when out of `time`'s range.
pub fn utc_nanos_from_unix(ns: u64) -> Option<String> {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns)).ok()?;
    Some(format(t, NANOS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::format_description::well_known::Rfc3339;

    fn parse(text: &str) -> OffsetDateTime {
        OffsetDateTime::parse(text, &Rfc3339).expect("test time")
    }

    #[test]
    fn millis_are_utc_fixed_width_and_truncated() {
        assert_eq!(
            utc_millis(parse("2026-11-30T12:00:00+01:00")),
            "2026-11-30T11:00:00.000Z"
        );
        assert_eq!(
            utc_millis(parse("2026-01-02T03:04:05.678999Z")),
            "2026-01-02T03:04:05.678Z"
        );
        assert_eq!(
            utc_millis(parse("0099-01-02T03:04:05Z")),
            "0099-01-02T03:04:05.000Z"
        );
    }

    #[test]
    fn now_is_recent_and_parses_back() {
        let before = OffsetDateTime::now_utc() - time::Duration::milliseconds(1);
        let text = now_utc_millis();
        assert_eq!(text.len(), "2026-01-01T00:00:00.000Z".len());
        let t = parse(&text);
        assert!(t >= before && t <= OffsetDateTime::now_utc(), "{text}");
    }

    #[test]
    fn nanos_keep_every_digit() {
        assert_eq!(
            utc_nanos_from_unix(1_777_555_055_632_028_200).as_deref(),
            Some("2026-04-30T13:17:35.632028200Z")
        );
        assert_eq!(
            utc_nanos_from_unix(0).as_deref(),
            Some("1970-01-01T00:00:00.000000000Z")
        );
        assert_eq!(
            utc_nanos_from_unix(u64::MAX).as_deref(),
            Some("2554-07-21T23:34:33.709551615Z")
        );
    }
}
