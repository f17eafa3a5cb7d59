//! Times as people write them: a window bound as a span back from now (`7d`, `12h`,
//! `2w`, `30m`) or a date / date-time; a calendar date; and the clock, which
//! `KIZUNA_NOW` can fix so runs can be reproduced. The command line and the API read
//! them the same way.

use chrono::{Duration, NaiveDate, Utc};

use crate::Timestamp;

/// Parses a window bound: a span counts back from `now`.
pub fn parse_bound(s: &str, now: Timestamp) -> Result<Timestamp, String> {
    let t = s.trim();
    if let Some(n) = t.strip_suffix(['d', 'h', 'w', 'm'])
        && let Ok(n) = n.parse::<i64>()
    {
        let d = match t.chars().last() {
            Some('d') => Duration::days(n),
            Some('h') => Duration::hours(n),
            Some('w') => Duration::weeks(n),
            _ => Duration::minutes(n),
        };
        return Ok(now - d);
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
    }
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
        return Ok(dt.to_utc());
    }
    if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S") {
        return Ok(dt.and_utc());
    }
    Err(format!(
        "cannot read {s:?} as a time: use 7d, 12h, 2w, 2025-10-01 or 2025-10-01T08:00:00Z"
    ))
}

/// A calendar date (`2026-12-31`).
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("cannot read {s:?} as a date: use YYYY-MM-DD"))
}

/// The current time, or `KIZUNA_NOW` (RFC 3339) so runs can be reproduced.
pub fn now() -> Timestamp {
    std::env::var("KIZUNA_NOW")
        .ok()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.to_utc())
        .unwrap_or_else(Utc::now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-21T00:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            parse_bound("7d", now).unwrap().to_rfc3339(),
            "2026-11-14T00:00:00+00:00"
        );
        assert_eq!(
            parse_bound("12h", now).unwrap().to_rfc3339(),
            "2026-11-20T12:00:00+00:00"
        );
        assert_eq!(
            parse_bound("2025-10-01", now).unwrap().to_rfc3339(),
            "2025-10-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_bound("2025-10-01T08:00:00+09:00", now)
                .unwrap()
                .to_rfc3339(),
            "2025-09-30T23:00:00+00:00"
        );
        assert!(parse_bound("yesterday", now).is_err());
    }
}
