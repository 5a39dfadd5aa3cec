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

/// A Unix time written as a JSON number (its text, so that no digit is
/// lost to floating point), as RFC 3339 with nanoseconds: seconds,
/// milliseconds, microseconds or nanoseconds since the epoch, told apart by
/// the size of the integer part (below 10^11: seconds; 10^14:
/// milliseconds; 10^17: microseconds; else nanoseconds), e.g.
/// `1733280814.953` → `2024-12-04T02:53:34.953000000Z`. Digits finer than a
/// nanosecond are dropped (truncated). `None` for text that is not a
/// non-negative decimal number (an exponent is allowed) or out of range.
pub fn utc_nanos_from_unix_decimal(text: &str) -> Option<String> {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    // No time needs more: this also bounds the padding below.
    if exponent.abs() > 40 || mantissa.len() > 64 {
        return None;
    }
    if int_part.is_empty() || !all_digits(int_part) || !all_digits(frac_part) {
        return None;
    }
    // The digits with the decimal point moved by the exponent: `whole`
    // before it, `fraction` after it.
    let digits: String = format!("{int_part}{frac_part}");
    let point = i64::try_from(int_part.len()).ok()? + i64::from(exponent);
    let (whole, fraction) = if point <= 0 {
        let zeros = usize::try_from(-point).ok()?;
        (String::from("0"), format!("{}{digits}", "0".repeat(zeros)))
    } else {
        let point = usize::try_from(point).ok()?;
        if point >= digits.len() {
            (
                format!("{digits}{}", "0".repeat(point - digits.len())),
                String::new(),
            )
        } else {
            (digits[..point].to_string(), digits[point..].to_string())
        }
    };
    let whole = whole.trim_start_matches('0');
    if whole.len() > 20 {
        return None;
    }
    let value: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    // Fraction digits below one unit that still count, per unit.
    let (unit_nanos, kept): (u128, usize) = if value < 100_000_000_000 {
        (1_000_000_000, 9)
    } else if value < 100_000_000_000_000 {
        (1_000_000, 6)
    } else if value < 100_000_000_000_000_000 {
        (1_000, 3)
    } else {
        (1, 0)
    };
    let mut frac_digits: String = fraction.chars().take(kept).collect();
    while frac_digits.len() < kept {
        frac_digits.push('0');
    }
    let frac_nanos: u128 = if frac_digits.is_empty() {
        0
    } else {
        frac_digits.parse().ok()?
    };
    let nanos = value.checked_mul(unit_nanos)?.checked_add(frac_nanos)?;
    utc_nanos_from_unix(u64::try_from(nanos).ok()?)
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
    fn unix_decimals_are_read_exactly() {
        let cases = [
            ("1733280814.953", Some("2024-12-04T02:53:34.953000000Z")),
            ("1733280814", Some("2024-12-04T02:53:34.000000000Z")),
            ("1733280814953", Some("2024-12-04T02:53:34.953000000Z")),
            ("1733280814953123", Some("2024-12-04T02:53:34.953123000Z")),
            (
                "1733280814953123456",
                Some("2024-12-04T02:53:34.953123456Z"),
            ),
            (
                "1733280814.953123456789",
                Some("2024-12-04T02:53:34.953123456Z"),
            ),
            ("1.733280814953e9", Some("2024-12-04T02:53:34.953000000Z")),
            ("1733280814953E-3", Some("2024-12-04T02:53:34.953000000Z")),
            ("0.5", Some("1970-01-01T00:00:00.500000000Z")),
            ("-1", None),
            ("12a", None),
            ("", None),
            (".5", None),
            ("1e400", None),
            ("1e-2000000000", None),
            ("99999999999999999999999", None),
        ];
        for (text, want) in cases {
            assert_eq!(utc_nanos_from_unix_decimal(text).as_deref(), want, "{text}");
        }
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
