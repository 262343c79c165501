//! Calendar arithmetic and PostgreSQL's date/time text formats.
//!
//! Values count from PostgreSQL's epoch, 2000-01-01: dates in days, timestamps in
//! microseconds. Calendar conversion goes through the Julian day number with
//! PostgreSQL's own `date2j`/`j2date` formulas (proleptic Gregorian, year 0 = 1 BC),
//! so dates far in the past or future print exactly as PostgreSQL prints them.
//! `±infinity` are the extreme integers, as in PostgreSQL (`DATEVAL_NOBEGIN`, ...).
//!
//! Input accepts the forms applications send: ISO 8601 (`2024-01-31`, `T` or space,
//! fractional seconds, `Z`/`+02`/`+05:30`/named zones), `M/D/Y` (DateStyle MDY, the
//! default), `YYYYMMDD`, month names (`Jan 31 2024`, `31-Jan-2024`), `BC`/`AD`,
//! `AM`/`PM`, and the specials `epoch`, `infinity`, `-infinity`, `now`, `today`,
//! `tomorrow`, `yesterday`.

use super::timezone::TimeZone;
use super::TypeError;

pub const USECS_PER_SEC: i64 = 1_000_000;
pub const USECS_PER_DAY: i64 = 86_400 * USECS_PER_SEC;
/// Julian day of 2000-01-01, PostgreSQL's epoch.
const POSTGRES_EPOCH_JDATE: i64 = 2_451_545;
/// Days from 1970-01-01 to 2000-01-01, to convert to and from Unix time.
pub const UNIX_EPOCH_OFFSET_DAYS: i64 = 10_957;
/// Julian day 0 is 4714-11-24 BC, the first day PostgreSQL accepts.
const MIN_JULIAN: i64 = 0;
/// Julian day of 5874898-01-01, one past the last date PostgreSQL accepts.
const DATE_END_JULIAN: i64 = 2_147_483_494;
/// Julian day of 294277-01-01, one past the last timestamp PostgreSQL accepts.
const TIMESTAMP_END_JULIAN: i64 = 109_203_528;

pub const DATE_NEG_INFINITY: i32 = i32::MIN;
pub const DATE_POS_INFINITY: i32 = i32::MAX;
pub const TS_NEG_INFINITY: i64 = i64::MIN;
pub const TS_POS_INFINITY: i64 = i64::MAX;

/// PostgreSQL's `date2j`: Julian day number of a proleptic Gregorian date whose year
/// is astronomical (0 = 1 BC).
pub fn date2j(year: i64, month: u32, day: u32) -> i64 {
    let (mut y, mut m) = (year, i64::from(month));
    if m > 2 {
        m += 1;
        y += 4800;
    } else {
        m += 13;
        y += 4799;
    }
    let century = y.div_euclid(100);
    let mut julian = y * 365 - 32167;
    julian += y.div_euclid(4) - century + century.div_euclid(4);
    julian + 7834 * m / 256 + i64::from(day)
}

/// PostgreSQL's `j2date`: the (astronomical year, month, day) of a Julian day >= 0.
pub fn j2date(jd: i64) -> (i64, u32, u32) {
    let mut julian = jd + 32044;
    let mut quad = julian.div_euclid(146_097);
    let extra = (julian - quad * 146_097) * 4 + 3;
    julian += 60 + quad * 3 + extra.div_euclid(146_097);
    quad = julian.div_euclid(1461);
    julian -= quad * 1461;
    let mut y = julian * 4 / 1461;
    julian = if y != 0 {
        (julian + 305) % 365
    } else {
        (julian + 306) % 366
    } + 123;
    y += quad * 4;
    let q = julian * 2141 / 65536;
    let day = julian - 7834 * q / 256;
    let month = (q + 10) % 12 + 1;
    (y - 4800, month as u32, day as u32)
}

/// Days since 2000-01-01 of a calendar date (astronomical year).
pub fn days_from_ymd(year: i64, month: u32, day: u32) -> i64 {
    date2j(year, month, day) - POSTGRES_EPOCH_JDATE
}

/// The calendar date of a day count since 2000-01-01.
pub fn ymd_from_days(days: i64) -> (i64, u32, u32) {
    j2date(days + POSTGRES_EPOCH_JDATE)
}

pub fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Splits microseconds since the epoch into whole days and the microsecond of the day
/// (always non-negative, so times before 2000 print correctly).
pub fn split_timestamp(us: i64) -> (i64, i64) {
    (us.div_euclid(USECS_PER_DAY), us.rem_euclid(USECS_PER_DAY))
}

/// `us` if it is a timestamp PostgreSQL can hold (or ±infinity), else 22008.
pub fn checked_timestamp(us: i64) -> Result<i64, TypeError> {
    let infinite = us == TS_NEG_INFINITY || us == TS_POS_INFINITY;
    if infinite || timestamp_in_range(us) {
        Ok(us)
    } else {
        Err(TypeError::DatetimeOutOfRange(
            "timestamp out of range".into(),
        ))
    }
}

/// `make_date(year, month, day)`: a negative year is BC (there is no year
/// 0); 22008 for a day that does not exist or is out of range, in
/// PostgreSQL's words.
pub fn make_date(year: i64, month: i64, day: i64) -> Result<i32, TypeError> {
    let invalid = || {
        TypeError::DatetimeOutOfRange(format!(
            "date field value out of range: {year}-{month:02}-{day:02}"
        ))
    };
    // Astronomical years: 1 BC is year 0.
    let astronomical = if year < 0 { year + 1 } else { year };
    let (Ok(month), Ok(day)) = (u32::try_from(month), u32::try_from(day)) else {
        return Err(invalid());
    };
    if year == 0 || !(1..=12).contains(&month) || day == 0 {
        return Err(invalid());
    }
    if day > days_in_month(astronomical, month) {
        return Err(invalid());
    }
    let days = days_from_ymd(astronomical, month, day);
    if !date_in_range(days) {
        return Err(TypeError::DatetimeOutOfRange(format!(
            "date out of range: {year}-{month:02}-{day:02}"
        )));
    }
    Ok(days as i32)
}

/// `to_timestamp(seconds)`: seconds since 1970-01-01 00:00 UTC, rounded to the
/// microsecond half to even as PostgreSQL's `rint`; the infinities stay
/// infinite; 22008 for NaN or a time out of range.
pub fn from_unix_seconds(seconds: f64) -> Result<i64, TypeError> {
    if seconds.is_nan() {
        return Err(TypeError::DatetimeOutOfRange(
            "timestamp cannot be NaN".into(),
        ));
    }
    if seconds.is_infinite() {
        return Ok(if seconds > 0.0 {
            TS_POS_INFINITY
        } else {
            TS_NEG_INFINITY
        });
    }
    // As PostgreSQL computes it: to its own epoch first, in seconds.
    let epoch_seconds = (UNIX_EPOCH_OFFSET_DAYS * 86_400) as f64;
    let us = ((seconds - epoch_seconds) * USECS_PER_SEC as f64).round_ties_even();
    // Within i64 and PostgreSQL's range (the cast saturates outside it).
    if us.abs() < 9.2e18 && timestamp_in_range(us as i64) {
        return Ok(us as i64);
    }
    Err(TypeError::DatetimeOutOfRange(format!(
        "timestamp out of range: \"{}\"",
        super::Value::Float8(seconds).to_text()
    )))
}

/// `days` if it is a date PostgreSQL can hold (or ±infinity), else 22008.
pub fn checked_date(days: i32) -> Result<i32, TypeError> {
    let infinite = days == DATE_NEG_INFINITY || days == DATE_POS_INFINITY;
    if infinite || date_in_range(days.into()) {
        Ok(days)
    } else {
        Err(TypeError::DatetimeOutOfRange("date out of range".into()))
    }
}

/// Whether a day count is inside PostgreSQL's date range.
pub fn date_in_range(days: i64) -> bool {
    let jd = days + POSTGRES_EPOCH_JDATE;
    (MIN_JULIAN..DATE_END_JULIAN).contains(&jd)
}

/// The timestamp of a date's midnight (±infinity stay infinite), or `None` for a
/// date past the timestamp range: dates go on to 5874897 AD, timestamps end with
/// 294276 AD, and past them the microseconds overflow. Both ranges start on the
/// same day, so only the end can be passed.
pub fn date_to_timestamp(days: i32) -> Option<i64> {
    match days {
        DATE_NEG_INFINITY => Some(TS_NEG_INFINITY),
        DATE_POS_INFINITY => Some(TS_POS_INFINITY),
        _ => {
            let us = i64::from(days).checked_mul(USECS_PER_DAY)?;
            timestamp_in_range(us).then_some(us)
        }
    }
}

/// 22008 for a date whose midnight is no timestamp, in PostgreSQL's words.
pub fn date_out_of_range_for_timestamp() -> TypeError {
    TypeError::DatetimeOutOfRange("date out of range for timestamp".into())
}

/// Whether a timestamp is inside PostgreSQL's range (4714-11-24 BC up to, not
/// including, 294277-01-01). The infinities are outside: check them first.
pub fn timestamp_in_range(us: i64) -> bool {
    let min = (MIN_JULIAN - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY;
    let end = (TIMESTAMP_END_JULIAN - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY;
    (min..end).contains(&us)
}

/// Writes a date as `YYYY-MM-DD`, with ` BC` for years before 1 AD.
pub fn write_date(out: &mut String, days: i32) {
    match days {
        DATE_NEG_INFINITY => out.push_str("-infinity"),
        DATE_POS_INFINITY => out.push_str("infinity"),
        _ => {
            let (y, m, d) = ymd_from_days(i64::from(days));
            write_ymd(out, y, m, d);
            if y <= 0 {
                out.push_str(" BC");
            }
        }
    }
}

fn write_ymd(out: &mut String, year: i64, month: u32, day: u32) {
    use std::fmt::Write;
    let shown = if year <= 0 { 1 - year } else { year };
    // Writing to a String cannot fail.
    let _ = write!(out, "{shown:04}-{month:02}-{day:02}");
}

/// Writes `HH:MM:SS[.ffffff]`, trimming trailing zeros of the fraction as PostgreSQL.
fn write_time_of_day(out: &mut String, us_of_day: i64) {
    use std::fmt::Write;
    let secs = us_of_day / USECS_PER_SEC;
    let frac = us_of_day % USECS_PER_SEC;
    let _ = write!(
        out,
        "{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if frac != 0 {
        let digits = format!("{frac:06}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
}

/// Writes a timestamp (without time zone) in ISO style: `2024-01-31 12:34:56.5`.
pub fn write_timestamp(out: &mut String, us: i64) {
    if let Some(special) = infinity_name(us) {
        out.push_str(special);
        return;
    }
    let year = write_local(out, us);
    if year <= 0 {
        out.push_str(" BC");
    }
}

/// Writes a timestamptz in `tz`: local time then the offset (`+00`, `+05:30`).
pub fn write_timestamptz(out: &mut String, us: i64, tz: &TimeZone) {
    if let Some(special) = infinity_name(us) {
        out.push_str(special);
        return;
    }
    let offset = tz.offset_at_utc(us);
    let year = write_local(out, us + i64::from(offset) * USECS_PER_SEC);
    write_offset(out, offset);
    if year <= 0 {
        out.push_str(" BC");
    }
}

/// Writes date and time of a local timestamp; returns its astronomical year.
fn write_local(out: &mut String, us: i64) -> i64 {
    let (days, us_of_day) = split_timestamp(us);
    let (y, m, d) = ymd_from_days(days);
    write_ymd(out, y, m, d);
    out.push(' ');
    write_time_of_day(out, us_of_day);
    y
}

/// Writes a UTC offset in seconds east as PostgreSQL: `+HH`, `+HH:MM` or `+HH:MM:SS`.
pub fn write_offset(out: &mut String, offset_secs: i32) {
    use std::fmt::Write;
    let sign = if offset_secs < 0 { '-' } else { '+' };
    let abs = offset_secs.unsigned_abs();
    let _ = write!(out, "{sign}{:02}", abs / 3600);
    if !abs.is_multiple_of(3600) {
        let _ = write!(out, ":{:02}", abs / 60 % 60);
        if !abs.is_multiple_of(60) {
            let _ = write!(out, ":{:02}", abs % 60);
        }
    }
}

fn infinity_name(us: i64) -> Option<&'static str> {
    match us {
        TS_NEG_INFINITY => Some("-infinity"),
        TS_POS_INFINITY => Some("infinity"),
        _ => None,
    }
}

/// Microseconds since the PostgreSQL epoch of the current wall-clock time (UTC).
pub fn now_us() -> i64 {
    let since_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0);
    since_unix - UNIX_EPOCH_OFFSET_DAYS * USECS_PER_DAY
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Julian conversions round-trip and agree with known anchors, including
    /// 1 BC (year 0) and PostgreSQL's first day, 4714-11-24 BC.
    #[test]
    fn julian_anchors() {
        assert_eq!(days_from_ymd(2000, 1, 1), 0);
        assert_eq!(days_from_ymd(1970, 1, 1), -UNIX_EPOCH_OFFSET_DAYS);
        assert_eq!(date2j(-4713, 11, 24), 0);
        for days in [-2_451_545, -1_000_000, -1, 0, 59, 60, 366, 1_000_000] {
            let (y, m, d) = ymd_from_days(days);
            assert_eq!(days_from_ymd(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(ymd_from_days(days_from_ymd(0, 12, 31)), (0, 12, 31));
    }

    /// A date is a timestamp up to 294276-12-31; past it (where its microseconds
    /// overflow) it is none, and the infinities stay infinite.
    #[test]
    fn date_to_timestamp_range() {
        let last = days_from_ymd(294_276, 12, 31) as i32;
        assert_eq!(
            date_to_timestamp(last),
            Some(i64::from(last) * USECS_PER_DAY)
        );
        assert_eq!(date_to_timestamp(last + 1), None);
        assert_eq!(
            date_to_timestamp(days_from_ymd(5_874_897, 12, 31) as i32),
            None
        );
        assert_eq!(
            date_to_timestamp(days_from_ymd(-4713, 11, 24) as i32),
            Some((MIN_JULIAN - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY)
        );
        assert_eq!(date_to_timestamp(DATE_POS_INFINITY), Some(TS_POS_INFINITY));
        assert_eq!(date_to_timestamp(DATE_NEG_INFINITY), Some(TS_NEG_INFINITY));
    }

    /// Timestamps print as PostgreSQL's ISO DateStyle, trimming the fraction.
    #[test]
    fn timestamp_output() {
        let mut s = String::new();
        write_timestamp(
            &mut s,
            days_from_ymd(2024, 1, 31) * USECS_PER_DAY + 45_296_500_000,
        );
        assert_eq!(s, "2024-01-31 12:34:56.5");
        s.clear();
        write_timestamp(&mut s, -1);
        assert_eq!(s, "1999-12-31 23:59:59.999999");
        s.clear();
        write_offset(&mut s, -(4 * 3600 + 56 * 60 + 2));
        assert_eq!(s, "-04:56:02");
    }
}
