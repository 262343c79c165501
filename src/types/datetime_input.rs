//! Reading date and timestamp literals the way PostgreSQL's `DecodeDateTime` does,
//! for the forms clients actually send (see `types::time` for the list).
//!
//! The text is split into whitespace-separated fields; each field is classified
//! (date, time, number, month name, zone, BC/AD, AM/PM) and the fields are then put
//! together. Bad syntax is 22007, a field out of range 22008, as in PostgreSQL.

use super::time::{
    date_in_range, days_from_ymd, days_in_month, now_us, split_timestamp, timestamp_in_range,
    DATE_NEG_INFINITY, DATE_POS_INFINITY, TS_NEG_INFINITY, TS_POS_INFINITY, UNIX_EPOCH_OFFSET_DAYS,
    USECS_PER_DAY, USECS_PER_SEC,
};
use super::timezone::{parse_offset, TimeZone};
use super::TypeError;

/// Words that stand for a whole value.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Special {
    Epoch,
    Infinity,
    NegInfinity,
    Now,
    Today,
    Tomorrow,
    Yesterday,
}

/// The fields found in a literal, before they are checked and combined.
#[derive(Debug, Default)]
struct Fields {
    special: Option<Special>,
    /// Year (as written, with its digit count for two-digit-year expansion), month, day.
    year: Option<(i64, usize)>,
    month: Option<u32>,
    day: Option<u32>,
    /// Bare numbers next to a month name (`Jan 31 2024`), in order.
    numbers: Vec<(i64, usize)>,
    /// Microseconds since midnight, hour kept apart for AM/PM.
    hour: Option<i64>,
    rest_us: i64,
    bc: bool,
    pm: Option<bool>,
    zone: Option<TimeZone>,
}

/// What went wrong, turned into the right TypeError by the caller that knows the type.
enum Bad {
    Syntax,
    Field,
    Zone(TypeError),
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// Parses a `date` literal; a time part is checked and ignored, as PostgreSQL does.
pub fn parse_date(text: &str, tz: &TimeZone) -> Result<i32, TypeError> {
    let f = decode(text).map_err(|b| bad_to_error(b, "date", text))?;
    match f.special {
        Some(Special::Infinity) => return Ok(DATE_POS_INFINITY),
        Some(Special::NegInfinity) => return Ok(DATE_NEG_INFINITY),
        Some(s) => return Ok(split_timestamp(special_us(s, tz)).0 as i32),
        None => {}
    }
    let days = combine_date(&f).map_err(|b| bad_to_error(b, "date", text))?;
    combine_time(&f).map_err(|b| bad_to_error(b, "date", text))?;
    if !date_in_range(days) {
        return Err(TypeError::DatetimeOutOfRange(format!(
            "date out of range: \"{text}\""
        )));
    }
    Ok(days as i32)
}

/// Parses a `timestamp` literal; a zone in it is ignored, as PostgreSQL does.
pub fn parse_timestamp(text: &str, tz: &TimeZone) -> Result<i64, TypeError> {
    let name = "timestamp";
    let f = decode(text).map_err(|b| bad_to_error(b, name, text))?;
    if let Some(s) = f.special {
        let utc = special_us(s, tz);
        return Ok(match s {
            Special::Infinity | Special::NegInfinity | Special::Epoch => utc,
            _ => utc + i64::from(tz.offset_at_utc(utc)) * USECS_PER_SEC,
        });
    }
    let local = combine(&f).map_err(|b| bad_to_error(b, name, text))?;
    check_timestamp_range(local, text)
}

/// Parses a `timestamptz` literal; without an offset the time is local to `tz`.
pub fn parse_timestamptz(text: &str, tz: &TimeZone) -> Result<i64, TypeError> {
    let name = "timestamp with time zone";
    let f = decode(text).map_err(|b| bad_to_error(b, name, text))?;
    if let Some(s) = f.special {
        return Ok(special_us(s, tz));
    }
    let local = combine(&f).map_err(|b| bad_to_error(b, name, text))?;
    let zone = f.zone.as_ref().unwrap_or(tz);
    let utc = local - i64::from(zone.offset_for_local(local)) * USECS_PER_SEC;
    check_timestamp_range(utc, text)
}

fn check_timestamp_range(us: i64, text: &str) -> Result<i64, TypeError> {
    if timestamp_in_range(us) {
        Ok(us)
    } else {
        Err(TypeError::DatetimeOutOfRange(format!(
            "timestamp out of range: \"{text}\""
        )))
    }
}

fn bad_to_error(bad: Bad, type_name: &str, text: &str) -> TypeError {
    match bad {
        Bad::Syntax => TypeError::InvalidDatetime {
            type_name: type_name.to_owned(),
            input: text.to_owned(),
        },
        Bad::Field => TypeError::DatetimeFieldOverflow(text.to_owned()),
        Bad::Zone(e) => e,
    }
}

/// The UTC instant of a special word; `today` and friends are midnights in `tz`.
fn special_us(s: Special, tz: &TimeZone) -> i64 {
    let midnight = |delta_days: i64| {
        let now = now_us();
        let local = now + i64::from(tz.offset_at_utc(now)) * USECS_PER_SEC;
        let day_start = (split_timestamp(local).0 + delta_days) * USECS_PER_DAY;
        day_start - i64::from(tz.offset_for_local(day_start)) * USECS_PER_SEC
    };
    match s {
        Special::Epoch => -UNIX_EPOCH_OFFSET_DAYS * USECS_PER_DAY,
        Special::Infinity => TS_POS_INFINITY,
        Special::NegInfinity => TS_NEG_INFINITY,
        Special::Now => now_us(),
        Special::Today => midnight(0),
        Special::Tomorrow => midnight(1),
        Special::Yesterday => midnight(-1),
    }
}

/// Splits the literal into fields and classifies each one.
fn decode(text: &str) -> Result<Fields, Bad> {
    let lower = text.trim().to_ascii_lowercase().replace(',', " ");
    let tokens: Vec<&str> = lower.split_whitespace().collect();
    let mut f = Fields::default();
    if let [only] = tokens.as_slice() {
        if let Some(s) = special_word(only) {
            f.special = Some(s);
            return Ok(f);
        }
    }
    if tokens.is_empty() {
        return Err(Bad::Syntax);
    }
    for token in tokens {
        decode_token(&mut f, token)?;
    }
    Ok(f)
}

fn special_word(word: &str) -> Option<Special> {
    Some(match word {
        "epoch" => Special::Epoch,
        "infinity" | "+infinity" => Special::Infinity,
        "-infinity" => Special::NegInfinity,
        "now" => Special::Now,
        "today" => Special::Today,
        "tomorrow" => Special::Tomorrow,
        "yesterday" => Special::Yesterday,
        _ => return None,
    })
}

fn decode_token(f: &mut Fields, token: &str) -> Result<(), Bad> {
    let first = token.as_bytes()[0];
    if first.is_ascii_digit() {
        let iso_t = token
            .bytes()
            .enumerate()
            .position(|(i, b)| b == b't' && token.as_bytes()[i - 1].is_ascii_digit());
        if let Some(t) = iso_t {
            // ISO 8601 `2024-01-31T12:00:00Z`.
            decode_date_token(f, &token[..t])?;
            return decode_time_token(f, &token[t + 1..]);
        }
        if token.contains(':') {
            return decode_time_token(f, token);
        }
        if token.contains('-') || token.contains('/') {
            return decode_date_token(f, token);
        }
        if !token.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Bad::Syntax);
        }
        if token.len() == 8 && f.year.is_none() && f.month.is_none() {
            let n = |r: std::ops::Range<usize>| token[r].parse::<u32>().unwrap_or(0);
            f.year = Some((i64::from(n(0..4)), 4));
            f.month = Some(n(4..6));
            f.day = Some(n(6..8));
            return Ok(());
        }
        let n = token.parse::<i64>().map_err(|_| Bad::Field)?;
        f.numbers.push((n, token.len()));
        return Ok(());
    }
    if first == b'+' || first == b'-' {
        let offset = parse_offset(token).ok_or(Bad::Syntax)?;
        return set_zone(f, TimeZone::fixed(offset, token));
    }
    decode_word(f, token)
}

fn decode_word(f: &mut Fields, word: &str) -> Result<(), Bad> {
    match word {
        "bc" => f.bc = true,
        "ad" => {}
        "am" | "a.m." => f.pm = Some(false),
        "pm" | "p.m." => f.pm = Some(true),
        "at" | "on" => {}
        _ if month_of(word).is_some() => {
            if f.month.is_some() {
                return Err(Bad::Syntax);
            }
            f.month = month_of(word);
        }
        _ if word.len() >= 3 && DAYS.iter().any(|d| word.starts_with(d)) => {}
        // A field with a slash can only be a zone name, so PostgreSQL names it in the
        // error; any other unknown word is plain bad syntax.
        _ if word.contains('/') => {
            set_zone(f, TimeZone::parse_in_literal(word).map_err(Bad::Zone)?)?
        }
        _ if word
            .bytes()
            .all(|b| b.is_ascii_alphabetic() || b"_+-".contains(&b)) =>
        {
            set_zone(
                f,
                TimeZone::parse_in_literal(word).map_err(|_| Bad::Syntax)?,
            )?
        }
        _ => return Err(Bad::Syntax),
    }
    Ok(())
}

fn set_zone(f: &mut Fields, zone: TimeZone) -> Result<(), Bad> {
    if f.zone.is_some() {
        return Err(Bad::Syntax);
    }
    f.zone = Some(zone);
    Ok(())
}

/// `jan`, `january`, `sept`: the month number.
fn month_of(word: &str) -> Option<u32> {
    if word.len() < 3 {
        return None;
    }
    let full = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let i = MONTHS.iter().position(|m| word.starts_with(m))?;
    let ok = full[i].starts_with(word) || (i == 8 && word == "sept");
    ok.then_some(i as u32 + 1)
}

/// A date field: `2024-01-31`, `1/31/2024`, `31-jan-2024`, `2024-jan-31`.
fn decode_date_token(f: &mut Fields, token: &str) -> Result<(), Bad> {
    if f.year.is_some() || f.day.is_some() {
        return Err(Bad::Syntax);
    }
    let sep = if token.contains('-') { '-' } else { '/' };
    let parts: Vec<&str> = token.split(sep).collect();
    let [a, b, c] = parts.as_slice() else {
        return Err(Bad::Syntax);
    };
    let num = |s: &str| -> Result<(i64, usize), Bad> {
        if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Bad::Syntax);
        }
        s.parse::<i64>()
            .map(|n| (n, s.len()))
            .map_err(|_| Bad::Syntax)
    };
    let day = |s: &str| num(s).map(|(n, _)| n as u32);
    if let Some(m) = month_of(b) {
        // 31-jan-2024 or 2024-jan-31
        let (first, third) = (num(a)?, num(c)?);
        let (y, d) = if first.1 >= 3 {
            (first, third.0)
        } else {
            (third, first.0)
        };
        (f.year, f.month, f.day) = (Some(y), Some(m), Some(d as u32));
    } else if let Some(m) = month_of(a) {
        (f.year, f.month, f.day) = (Some(num(c)?), Some(m), Some(day(b)?));
    } else if a.len() >= 3 {
        (f.year, f.month, f.day) = (Some(num(a)?), Some(day(b)?), Some(day(c)?));
    } else {
        // DateStyle MDY, PostgreSQL's default.
        (f.year, f.month, f.day) = (Some(num(c)?), Some(day(a)?), Some(day(b)?));
    }
    Ok(())
}

/// A time field with an optional attached zone: `12:34`, `12:34:56.789+05:30`, `12:00z`.
fn decode_time_token(f: &mut Fields, token: &str) -> Result<(), Bad> {
    if f.hour.is_some() {
        return Err(Bad::Syntax);
    }
    let zone_at = token.find(|c: char| c == '+' || c == '-' || c.is_ascii_alphabetic());
    let (time, zone) = match zone_at {
        Some(i) => (&token[..i], Some(&token[i..])),
        None => (token, None),
    };
    if let Some(zone) = zone {
        let tz = match parse_offset(zone) {
            Some(offset) => TimeZone::fixed(offset, zone),
            None => TimeZone::parse_in_literal(zone).map_err(Bad::Zone)?,
        };
        set_zone(f, tz)?;
    }
    let parts: Vec<&str> = time.split(':').collect();
    let digits = |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    let (h, m, s) = match parts.as_slice() {
        [h, m] => (*h, *m, "0"),
        [h, m, s] => (*h, *m, *s),
        _ => return Err(Bad::Syntax),
    };
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if !digits(h) || !digits(m) || !digits(whole) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Bad::Syntax);
    }
    let (h, m, whole): (i64, i64, i64) = (num_or_zero(h), num_or_zero(m), num_or_zero(whole));
    let frac_us = fraction_to_us(frac);
    if m > 59 || whole > 60 || (whole == 60 && frac_us > 0) {
        return Err(Bad::Field);
    }
    f.hour = Some(h);
    f.rest_us = (m * 60 + whole) * USECS_PER_SEC + frac_us;
    Ok(())
}

fn num_or_zero(s: &str) -> i64 {
    s.parse().unwrap_or(0)
}

/// Fractional-second digits (ASCII digits only) in microseconds, as PostgreSQL
/// computes them: the fraction read as a double, times 10^6, rounded half to even
/// (C's `rint`), so `.0000025` is 2 µs, `.0000035` is 4, and `.1234585` is 123458
/// (its double is just below the half).
pub fn fraction_to_us(frac: &str) -> i64 {
    if frac.is_empty() {
        return 0;
    }
    let fraction: f64 = format!("0.{frac}").parse().unwrap_or(0.0);
    (fraction * 1_000_000.0).round_ties_even() as i64
}

/// Puts the date fields together: days since 2000 (22008 if a field is out of range).
fn combine_date(f: &Fields) -> Result<i64, Bad> {
    let (mut year, mut day) = (f.year, f.day);
    match (f.numbers.as_slice(), f.month.is_some() && year.is_none()) {
        ([], _) => {}
        ([a, b], true) => {
            let (y, d) = if a.1 >= 3 { (*a, b.0) } else { (*b, a.0) };
            (year, day) = (Some(y), Some(d as u32));
        }
        _ => return Err(Bad::Syntax),
    }
    let (Some((y, ylen)), Some(month), Some(day)) = (year, f.month, day) else {
        return Err(Bad::Syntax);
    };
    let mut y = y;
    if ylen <= 2 && !f.bc {
        y += if y < 70 { 2000 } else { 1900 };
    }
    if y == 0 || !(1..=12).contains(&month) {
        return Err(Bad::Field);
    }
    if f.bc {
        y = 1 - y;
    }
    if day < 1 || day > days_in_month(y, month) {
        return Err(Bad::Field);
    }
    Ok(days_from_ymd(y, month, day))
}

/// The time of day in microseconds (midnight when the literal has no time).
fn combine_time(f: &Fields) -> Result<i64, Bad> {
    let Some(mut h) = f.hour else {
        return if f.pm.is_some() {
            Err(Bad::Syntax)
        } else {
            Ok(0)
        };
    };
    if let Some(pm) = f.pm {
        if !(1..=12).contains(&h) {
            return Err(Bad::Field);
        }
        h = match (pm, h) {
            (false, 12) => 0,
            (true, 12) => 12,
            (true, h) => h + 12,
            (false, h) => h,
        };
    }
    if h > 24 || (h == 24 && f.rest_us > 0) {
        return Err(Bad::Field);
    }
    Ok(h * 3600 * USECS_PER_SEC + f.rest_us)
}

/// Local timestamp: date plus time of day.
fn combine(f: &Fields) -> Result<i64, Bad> {
    let days = combine_date(f)?;
    let time = combine_time(f)?;
    // Past the timestamp range the product overflows; MAX is out of range as well.
    Ok(days
        .checked_mul(USECS_PER_DAY)
        .and_then(|us| us.checked_add(time))
        .unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::time::write_timestamptz;

    fn ts(text: &str) -> String {
        let mut out = String::new();
        match parse_timestamptz(text, &TimeZone::Utc) {
            Ok(us) => write_timestamptz(&mut out, us, &TimeZone::Utc),
            Err(e) => out = format!("ERR {e}"),
        }
        out
    }

    /// Literal forms and their PostgreSQL 15 results (TimeZone UTC).
    #[test]
    fn literal_forms() {
        let cases = [
            ("2024-01-01 24:00", "2024-01-02 00:00:00+00"),
            ("2024-01-01 23:59:60", "2024-01-02 00:00:00+00"),
            ("Jan 31 2024 3:04 pm", "2024-01-31 15:04:00+00"),
            ("2024-01-31T12:00:00.5-08", "2024-01-31 20:00:00.5+00"),
            ("2024-01-31 12:00 +0530", "2024-01-31 06:30:00+00"),
            ("2024-01-31 12:00 pst", "2024-01-31 20:00:00+00"),
            ("2024-01-31 12:00 Europe/Paris", "2024-01-31 11:00:00+00"),
            (
                "2024-01-31T12:34:56.1234567Z",
                "2024-01-31 12:34:56.123457+00",
            ),
            ("epoch", "1970-01-01 00:00:00+00"),
            ("-infinity", "-infinity"),
            ("0001-01-01 00:00 BC", "0001-01-01 00:00:00+00 BC"),
            (
                "2024-01-01 25:00",
                "ERR date/time field value out of range: \"2024-01-01 25:00\"",
            ),
            (
                "2024-01-01 23:59:60.5",
                "ERR date/time field value out of range: \"2024-01-01 23:59:60.5\"",
            ),
            (
                "abc",
                "ERR invalid input syntax for type timestamp with time zone: \"abc\"",
            ),
            (
                "12:00",
                "ERR invalid input syntax for type timestamp with time zone: \"12:00\"",
            ),
            (
                "2024-01-31 12:00 Foo/Bar",
                "ERR time zone \"foo/bar\" not recognized",
            ),
            (
                "300000-01-01",
                "ERR timestamp out of range: \"300000-01-01\"",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(ts(input), want, "{input}");
        }
    }

    /// Date-only forms: MDY order, two-digit years, month names, 22008 for bad days.
    #[test]
    fn date_forms() {
        let d = |s: &str| {
            parse_date(s, &TimeZone::Utc).map(|d| crate::types::time::ymd_from_days(d.into()))
        };
        assert_eq!(d("1/2/24"), Ok((2024, 1, 2)));
        assert_eq!(d("01-02-2024"), Ok((2024, 1, 2)));
        assert_eq!(d("31-Jan-2024"), Ok((2024, 1, 31)));
        assert_eq!(d("2024-Jan-31"), Ok((2024, 1, 31)));
        assert_eq!(d("January 8, 99"), Ok((1999, 1, 8)));
        assert_eq!(d("20240131"), Ok((2024, 1, 31)));
        assert_eq!(d(" 2024-01-31 12:00:00 "), Ok((2024, 1, 31)));
        assert!(matches!(
            d("2024-02-30"),
            Err(TypeError::DatetimeFieldOverflow(_))
        ));
        assert!(matches!(
            d("0000-01-01"),
            Err(TypeError::DatetimeFieldOverflow(_))
        ));
        assert!(matches!(d("abc"), Err(TypeError::InvalidDatetime { .. })));
    }
}
