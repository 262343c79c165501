//! The session time zone (`SET TimeZone`), used to print and read `timestamptz`.
//!
//! A `timestamptz` is an instant (UTC microseconds); the zone only decides how it is
//! shown and how a literal without an offset is read. Named zones come from the IANA
//! database compiled into `chrono-tz`, so `America/New_York` follows its DST rules
//! exactly as PostgreSQL's copy of the same database does.

use std::fmt;

use chrono::{LocalResult, Offset, TimeZone as _};
use chrono_tz::{OffsetName, Tz};

use super::time::{write_offset, UNIX_EPOCH_OFFSET_DAYS, USECS_PER_DAY, USECS_PER_SEC};
use super::TypeError;

/// A time zone as `SET TimeZone` accepts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeZone {
    /// Coordinated Universal Time, Turnstile's default (PostgreSQL's default is the
    /// server's zone; a fixed default keeps results reproducible).
    Utc,
    /// A fixed offset east of UTC, with the text it was set from (for `SHOW`).
    Fixed { offset_secs: i32, name: String },
    /// An IANA zone with its daylight-saving rules.
    Named(Tz),
}

/// Largest offset PostgreSQL accepts for a zone, 15:59:59 (`MAX_TZDISP_HOUR` is 15).
const MAX_OFFSET_SECS: i32 = 15 * 3600 + 59 * 60 + 59;

/// The common abbreviations PostgreSQL's default `timezone_abbreviations` set knows,
/// as fixed offsets in seconds east. Only unambiguous, widely used ones.
const ABBREVIATIONS: &[(&str, i32)] = &[
    ("utc", 0),
    ("gmt", 0),
    ("z", 0),
    ("zulu", 0),
    ("ut", 0),
    ("est", -5 * 3600),
    ("edt", -4 * 3600),
    ("cst", -6 * 3600),
    ("cdt", -5 * 3600),
    ("mst", -7 * 3600),
    ("mdt", -6 * 3600),
    ("pst", -8 * 3600),
    ("pdt", -7 * 3600),
    ("cet", 3600),
    ("cest", 2 * 3600),
    ("eet", 2 * 3600),
    ("eest", 3 * 3600),
    ("wet", 0),
    ("west", 3600),
    ("bst", 3600),
    ("jst", 9 * 3600),
    ("msk", 3 * 3600),
];

impl TimeZone {
    /// Parses a `SET TimeZone` value: `UTC`, an IANA name (any case), a number of
    /// hours east of UTC (`+05`, `5.5`, `-3.25`), or a POSIX zone, which counts west
    /// of UTC (`UTC+5`, and any other offset: `+05:30` is 5:30 *west*). That is how
    /// PostgreSQL reads them (its `check_timezone` tries a number first, then a
    /// POSIX zone). 22023 otherwise, with PostgreSQL's message.
    pub fn parse(text: &str) -> Result<TimeZone, TypeError> {
        let trimmed = text.trim();
        hours_east(trimmed)
            .or_else(|| posix_offset(trimmed))
            .or_else(|| abbreviated_posix_offset(trimmed))
            .or_else(|| Self::maybe_parse(trimmed))
            .ok_or_else(|| {
                TypeError::InvalidParameterValue(format!(
                    "invalid value for parameter \"TimeZone\": \"{text}\""
                ))
            })
    }

    /// Parses a zone written inside a timestamp literal (`2024-01-01 12:00 CET`):
    /// also accepts the usual abbreviations. 22023 `time zone "x" not recognized`.
    pub fn parse_in_literal(text: &str) -> Result<TimeZone, TypeError> {
        let lower = text.to_ascii_lowercase();
        if let Some((_, offset)) = ABBREVIATIONS.iter().find(|(name, _)| *name == lower) {
            return Ok(TimeZone::fixed(*offset, text));
        }
        Self::maybe_parse(text).ok_or_else(|| {
            TypeError::InvalidParameterValue(format!("time zone \"{text}\" not recognized"))
        })
    }

    /// Parses the zone of `x AT TIME ZONE zone` (`timezone(zone, x)`) as
    /// PostgreSQL does: an abbreviation first (`EST` is always UTC−5), then a zone
    /// by name or as a POSIX zone, where an offset counts hours *west* of UTC
    /// (`+05` and `5` are UTC−5, `UTC+5` too). 22023 `time zone "x" not
    /// recognized` otherwise.
    pub fn parse_for_conversion(text: &str) -> Result<TimeZone, TypeError> {
        let lower = text.to_ascii_lowercase();
        if let Some((_, offset)) = ABBREVIATIONS.iter().find(|(name, _)| *name == lower) {
            return Ok(TimeZone::fixed(*offset, text));
        }
        let signed = if text.starts_with(['+', '-']) {
            text.to_owned()
        } else {
            format!("+{text}")
        };
        if let Some(offset) = parse_offset(&signed) {
            return Ok(TimeZone::fixed(-offset, text));
        }
        Self::maybe_parse(text).ok_or_else(|| {
            TypeError::InvalidParameterValue(format!("time zone \"{text}\" not recognized"))
        })
    }

    fn maybe_parse(text: &str) -> Option<TimeZone> {
        let lower = text.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "utc" | "gmt" | "z" | "zulu" | "etc/utc" | "universal"
        ) {
            return Some(TimeZone::Utc);
        }
        if let Some(offset) = parse_offset(text) {
            return Some(TimeZone::fixed(offset, text));
        }
        for prefix in ["utc", "gmt"] {
            if let Some(rest) = lower.strip_prefix(prefix) {
                // POSIX zone strings count hours *west* of UTC.
                if let Some(offset) = parse_offset(rest) {
                    return Some(TimeZone::fixed(-offset, text));
                }
            }
        }
        Tz::from_str_insensitive(text).ok().map(TimeZone::Named)
    }

    /// The zone `SET TIME ZONE` makes of an offset given as a number or an
    /// interval, `offset_secs` east of UTC, with PostgreSQL's name for it: a
    /// POSIX zone abbreviated as the offset, `<+05:30>-05:30`, `<-08>+08`,
    /// `<+00>-00`.
    pub fn of_offset(offset_secs: i32) -> TimeZone {
        let mut east = String::new();
        write_offset(&mut east, offset_secs);
        // The POSIX part is the same offset counted west: the sign flips, zero's too.
        let west = match east.strip_prefix('+') {
            Some(digits) => format!("-{digits}"),
            None => format!("+{}", &east[1..]),
        };
        TimeZone::fixed(offset_secs, &format!("<{east}>{west}"))
    }

    /// A fixed offset east of UTC; zero offset is still shown by its own name.
    pub fn fixed(offset_secs: i32, name: &str) -> TimeZone {
        TimeZone::Fixed {
            offset_secs,
            name: name.to_owned(),
        }
    }

    /// The name `SHOW TimeZone` prints.
    pub fn name(&self) -> String {
        match self {
            TimeZone::Utc => "UTC".to_owned(),
            TimeZone::Fixed { name, .. } => name.clone(),
            TimeZone::Named(tz) => tz.name().to_owned(),
        }
    }

    /// The offset in seconds east of UTC in effect at a UTC instant (µs since 2000).
    pub fn offset_at_utc(&self, us: i64) -> i32 {
        match self {
            TimeZone::Utc => 0,
            TimeZone::Fixed { offset_secs, .. } => *offset_secs,
            TimeZone::Named(tz) => {
                let naive = to_naive(us);
                tz.offset_from_utc_datetime(&naive).fix().local_minus_utc()
            }
        }
    }

    /// The zone's abbreviation at a UTC instant, as `to_char`'s `TZ` writes it
    /// (`UTC`, `CET`, `EDT`, or a numeric one such as `+05`); None for a zone
    /// set as an offset.
    pub fn abbreviation_at_utc(&self, us: i64) -> Option<String> {
        match self {
            TimeZone::Utc => Some("UTC".to_owned()),
            TimeZone::Fixed { .. } => None,
            TimeZone::Named(tz) => tz
                .offset_from_utc_datetime(&to_naive(us))
                .abbreviation()
                .map(str::to_owned),
        }
    }

    /// The offset to subtract from a local wall-clock time (µs since 2000) to get UTC.
    /// In a fall-back overlap PostgreSQL takes the later offset, in a spring-forward
    /// gap the earlier one; this does the same.
    pub fn offset_for_local(&self, local_us: i64) -> i32 {
        match self {
            TimeZone::Utc => 0,
            TimeZone::Fixed { offset_secs, .. } => *offset_secs,
            TimeZone::Named(tz) => match tz.offset_from_local_datetime(&to_naive(local_us)) {
                LocalResult::Single(o) => o.fix().local_minus_utc(),
                LocalResult::Ambiguous(_, later) => later.fix().local_minus_utc(),
                // A gap: the offset in force just before it, read 12 hours earlier
                // (no zone has two transitions that close together).
                LocalResult::None => self.offset_at_utc(local_us - 12 * 3600 * USECS_PER_SEC),
            },
        }
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Converts µs since 2000 to a chrono time, clamped to chrono's range (years ±262143);
/// zone rules are constant that far out, so the clamp does not change any offset.
fn to_naive(us: i64) -> chrono::NaiveDateTime {
    let unix_secs =
        us.div_euclid(USECS_PER_SEC) + UNIX_EPOCH_OFFSET_DAYS * USECS_PER_DAY / USECS_PER_SEC;
    let clamped = unix_secs.clamp(-8_000_000_000_000, 8_000_000_000_000);
    chrono::DateTime::from_timestamp(clamped, 0)
        .map(|dt| dt.naive_utc())
        .unwrap_or_default()
}

/// A `SET TimeZone` value that is a number: that many hours east of UTC, named
/// as PostgreSQL names it (see [`TimeZone::of_offset`]).
fn hours_east(text: &str) -> Option<TimeZone> {
    let hours: f64 = text.parse().ok()?;
    let secs = (hours * 3600.0).round();
    (secs.abs() <= f64::from(MAX_OFFSET_SECS)).then(|| TimeZone::of_offset(secs as i32))
}

/// A POSIX zone with its abbreviation in angle brackets, as PostgreSQL names a
/// zone set as a number or an interval: `<+05:30>-05:30` (the part after the
/// brackets counts hours *west* of UTC).
fn abbreviated_posix_offset(text: &str) -> Option<TimeZone> {
    let (_, west) = text.strip_prefix('<')?.split_once('>')?;
    posix_offset_west(west).map(|offset| TimeZone::fixed(-offset, text))
}

/// A `SET TimeZone` value that is an offset with minutes (`+05:30`, `05:30`): a
/// POSIX zone, so hours *west* of UTC.
fn posix_offset(text: &str) -> Option<TimeZone> {
    if !text.contains(':') {
        return None;
    }
    posix_offset_west(text).map(|offset| TimeZone::fixed(-offset, text))
}

/// A POSIX offset, hours west of UTC with or without a sign (`5`, `-05:30`), in
/// seconds west.
fn posix_offset_west(text: &str) -> Option<i32> {
    let signed = if text.starts_with(['+', '-']) {
        text.to_owned()
    } else {
        format!("+{text}")
    };
    parse_offset(&signed)
}

/// Parses an ISO-style offset east of UTC: `+05`, `-0530`, `+05:30`, `+05:30:15`.
pub fn parse_offset(text: &str) -> Option<i32> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let digits_ok =
        |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    let (h, m, s) = match parts.as_slice() {
        [hhmm] if hhmm.len() == 4 && hhmm.bytes().all(|b| b.is_ascii_digit()) => {
            (&hhmm[..2], &hhmm[2..], "0")
        }
        [h] => (*h, "0", "0"),
        [h, m] => (*h, *m, "0"),
        [h, m, s] => (*h, *m, *s),
        _ => return None,
    };
    if !(digits_ok(h) && digits_ok(m) && digits_ok(s)) {
        return None;
    }
    let (h, m, s): (i32, i32, i32) = (h.parse().ok()?, m.parse().ok()?, s.parse().ok()?);
    if m > 59 || s > 59 {
        return None;
    }
    let secs = h * 3600 + m * 60 + s;
    (secs <= MAX_OFFSET_SECS).then_some(sign * secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::time::days_from_ymd;

    /// Offsets read as PostgreSQL reads them: a bare `+05` is east of UTC and a POSIX
    /// `UTC+5` is west (checked with `SET TimeZone` on PostgreSQL 15).
    #[test]
    fn offset_signs() {
        // A number is hours east; an offset with minutes is a POSIX zone, west.
        for (text, east_secs) in [
            ("+05", 5 * 3600),
            ("UTC+5", -5 * 3600),
            ("-03:30", 3 * 3600 + 1800),
            ("+05:30", -(5 * 3600 + 1800)),
            ("5.5", 5 * 3600 + 1800),
            ("-3.25", -(3 * 3600 + 900)),
        ] {
            assert_eq!(
                TimeZone::parse(text).unwrap().offset_at_utc(0),
                east_secs,
                "{text}"
            );
        }
        assert_eq!(TimeZone::parse("utc").unwrap(), TimeZone::Utc);
        assert!(TimeZone::parse("Mars/Olympus").is_err());
    }

    /// New York's 2014 transitions resolve as in PostgreSQL: the fall-back overlap
    /// takes EST (-05), the spring-forward gap the offset before it (-05).
    #[test]
    fn named_zone_transitions() {
        let ny = TimeZone::parse("america/new_york").unwrap();
        assert_eq!(ny.name(), "America/New_York");
        let local = |y, m, d, h: i64| {
            days_from_ymd(y, m, d) * USECS_PER_DAY + h * 3_600_000_000 + 1_800_000_000
        };
        assert_eq!(ny.offset_for_local(local(2014, 11, 2, 1)), -5 * 3600);
        assert_eq!(ny.offset_for_local(local(2014, 3, 9, 2)), -5 * 3600);
        assert_eq!(ny.offset_for_local(local(2014, 7, 1, 12)), -4 * 3600);
    }
}
