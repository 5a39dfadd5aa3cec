//! Simulated wall clock: UTC timestamps that advance with a day/night rhythm.

use crate::error::TracegenError;

/// Seconds in one day.
const DAY: i64 = 86_400;

/// Parses `YYYY-MM-DDTHH:MM:SSZ` into seconds since the Unix epoch.
pub fn parse_utc(text: &str) -> Result<i64, TracegenError> {
    let bad = || TracegenError::InvalidModel(format!("start `{text}` is not YYYY-MM-DDTHH:MM:SSZ"));
    let b = text.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'Z' {
        return Err(bad());
    }
    let num = |from: usize, to: usize| -> Result<i64, TracegenError> {
        text.get(from..to)
            .and_then(|s| s.parse::<i64>().ok())
            .ok_or_else(bad)
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, min, sec) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 59 {
        return Err(bad());
    }
    Ok(days_from_civil(year, month, day) * DAY + hour * 3600 + min * 60 + sec)
}

/// Formats seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_utc(secs: i64, out: &mut String) {
    use std::fmt::Write;
    let days = secs.div_euclid(DAY);
    let rem = secs.rem_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    // Writing into a String cannot fail.
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    );
}

/// Hour of day (0..24, UTC) of a Unix timestamp.
pub fn hour_of_day(secs: i64) -> i64 {
    secs.rem_euclid(DAY) / 3600
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Proleptic Gregorian date of a count of days since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for text in [
            "1970-01-01T00:00:00Z",
            "2026-11-02T09:15:03Z",
            "2028-02-29T23:59:59Z",
        ] {
            let secs = parse_utc(text).expect("valid timestamp");
            let mut out = String::new();
            format_utc(secs, &mut out);
            assert_eq!(out, text);
        }
        assert_eq!(parse_utc("2026-11-02T09:15:03Z").ok(), Some(1_793_610_903));
        assert_eq!(hour_of_day(1_793_610_903), 9);
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_utc("2026-11-02 09:15:03").is_err());
        assert!(parse_utc("2026-13-02T09:15:03Z").is_err());
    }
}
