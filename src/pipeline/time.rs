//! How old an event is: IAM is eventually consistent, so a role or policy
//! an event names may not be readable yet just after the event (SPEC §7).
//! CloudTrail writes `eventTime` as RFC 3339 UTC (`2026-03-14T09:12:45Z`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long after an event a `NoSuchEntity` is taken for IAM not having
/// caught up yet (the invocation fails, Lambda retries) rather than for a
/// deleted entity.
pub const EVENTUAL_CONSISTENCY: Duration = Duration::from_secs(120);

/// Seconds since the Unix epoch of an RFC 3339 time (`Z` or a `±HH:MM`
/// offset, fractions ignored); `None` when it is not one.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let s = text.get(from..from + len)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if b[13] != b':' || b[16] != b':' || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return None;
            }
            let h: i64 = rest[1..3].parse().ok()?;
            let m: i64 = rest[4..6].parse().ok()?;
            sign * (h * 3600 + m * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Whether an event of `event_time` is recent enough at `now` for IAM not
/// to have caught up (an event from the future, by clock skew, is too).
/// An unreadable time is not recent: the entity is taken as gone.
pub fn within_consistency_window(event_time: &str, now: SystemTime) -> bool {
    let Some(at) = parse_rfc3339(event_time) else {
        return false;
    };
    let now = match now.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(_) => return false,
    };
    now - at < EVENTUAL_CONSISTENCY.as_secs() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudtrail_times_parse() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2026-03-14T09:12:45Z"), Some(1_773_479_565));
        assert_eq!(
            parse_rfc3339("2026-03-14T10:12:45.123+01:00"),
            Some(1_773_479_565)
        );
        assert_eq!(parse_rfc3339("2024-02-29T00:00:00Z"), Some(1_709_164_800));
        for bad in [
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-03-14 09:12",
            "2026-03-14T09:12:45",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn two_minutes_after_the_event_iam_has_caught_up() {
        let at = UNIX_EPOCH + Duration::from_secs(1_773_479_565);
        let t = "2026-03-14T09:12:45Z";
        assert!(within_consistency_window(t, at + Duration::from_secs(2)));
        assert!(within_consistency_window(t, at - Duration::from_secs(30)));
        assert!(!within_consistency_window(t, at + Duration::from_secs(120)));
        assert!(!within_consistency_window(t, at + Duration::from_secs(600)));
        assert!(!within_consistency_window("not a time", at));
    }
}
