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

/// A point in time in UTC, as Writ stores it: read from RFC 3339 text with
/// any offset, shown and serialized as [`utc_millis`] text (so the JSON and
/// the table output keep the stored form), ordered by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcTime(OffsetDateTime);

/// Text that is not an RFC 3339 date and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadTime {
    /// The text as given.
    pub text: String,
}

impl std::fmt::Display for BadTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` is not an RFC 3339 date and time (e.g. 2026-11-02T06:00:00.000Z)",
            self.text
        )
    }
}

impl std::error::Error for BadTime {}

impl UtcTime {
    /// The current time.
    pub fn now() -> Self {
        UtcTime(OffsetDateTime::now_utc())
    }

    /// Reads RFC 3339 text (any offset; kept in UTC).
    pub fn parse(text: &str) -> Result<Self, BadTime> {
        OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .map(|t| UtcTime(t.to_offset(UtcOffset::UTC)))
            .map_err(|_| BadTime {
                text: text.to_string(),
            })
    }

    /// The time as the `time` crate's value (in UTC).
    pub fn as_offset_date_time(self) -> OffsetDateTime {
        self.0
    }
}

impl From<OffsetDateTime> for UtcTime {
    fn from(t: OffsetDateTime) -> Self {
        UtcTime(t.to_offset(UtcOffset::UTC))
    }
}

impl std::str::FromStr for UtcTime {
    type Err = BadTime;

    fn from_str(text: &str) -> Result<Self, BadTime> {
        UtcTime::parse(text)
    }
}

impl std::fmt::Display for UtcTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&utc_millis(self.0))
    }
}

impl serde::Serialize for UtcTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for UtcTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        UtcTime::parse(&text).map_err(serde::de::Error::custom)
    }
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
    fn utc_time_reads_any_offset_and_shows_utc_millis() {
        let t = UtcTime::parse("2026-11-30T12:00:00.5+01:00").expect("parses");
        assert_eq!(t.to_string(), "2026-11-30T11:00:00.500Z");
        assert_eq!(UtcTime::parse(&t.to_string()), Ok(t));
        assert!(t < UtcTime::parse("2026-11-30T11:00:00.501Z").expect("parses"));
        let e = UtcTime::parse("yesterday").unwrap_err();
        assert!(e.to_string().contains("`yesterday`"), "{e}");
        assert!(
            UtcTime::parse("2026-11-30T11:00:00").is_err(),
            "an offset is required"
        );
        let json = serde_json::to_string(&t).expect("serializes");
        assert_eq!(json, "\"2026-11-30T11:00:00.500Z\"");
        assert_eq!(serde_json::from_str::<UtcTime>(&json).expect("reads"), t);
        assert!(serde_json::from_str::<UtcTime>("\"noon\"").is_err());
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
