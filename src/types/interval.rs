//! `interval`: a span of months, days and microseconds, kept apart as PostgreSQL
//! keeps them, because their lengths differ by where the span is applied (a month
//! is 28 to 31 days, a day 23 to 25 hours across a daylight-saving change).
//!
//! Two intervals compare (and group, and hash) by their length with a month of 30
//! days and a day of 24 hours, so `'1 mon' = '30 days'`, as in PostgreSQL. Text
//! is read in PostgreSQL's forms (`1 year 2 mons`, `3 days 04:05:06.5`, `90
//! minutes ago`, ISO 8601 `P1DT2H`) and written in its default `IntervalStyle`,
//! `postgres` (`1 year 2 mons 3 days 04:05:06.5`). Arithmetic follows
//! PostgreSQL 15's `interval_mul`, `timestamp_pl_interval` and `timestamp_mi`.

use std::cmp::Ordering;

use super::time::{
    checked_timestamp, days_from_ymd, days_in_month, split_timestamp, ymd_from_days,
    TS_NEG_INFINITY, TS_POS_INFINITY, USECS_PER_DAY, USECS_PER_SEC,
};
use super::timezone::TimeZone;
use super::TypeError;

const DAYS_PER_MONTH: i64 = 30;
const SECS_PER_DAY: f64 = 86_400.0;
const USECS_PER_HOUR: i64 = 3_600 * USECS_PER_SEC;
const USECS_PER_MINUTE: i64 = 60 * USECS_PER_SEC;
/// The floats that convert to an `i32`, and to an `i64` (NaN is in neither).
const I32_FLOATS: std::ops::Range<f64> = -2_147_483_648.0..2_147_483_648.0;
const I64_FLOATS: std::ops::Range<f64> = -9.223_372_036_854_776e18..9.223_372_036_854_776e18;

/// A span of time: months, days and microseconds, each with its own sign.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Interval {
    pub months: i32,
    pub days: i32,
    pub micros: i64,
}

/// 22008, in PostgreSQL's words.
fn out_of_range() -> TypeError {
    TypeError::DatetimeOutOfRange("interval out of range".into())
}

impl Interval {
    /// The length PostgreSQL orders intervals by: a month is 30 days, a day
    /// 24 hours.
    pub fn comparison_key(&self) -> i128 {
        (i128::from(self.months) * i128::from(DAYS_PER_MONTH) + i128::from(self.days))
            * i128::from(USECS_PER_DAY)
            + i128::from(self.micros)
    }

    pub fn compare(&self, other: &Interval) -> Ordering {
        self.comparison_key().cmp(&other.comparison_key())
    }

    /// The 16 bytes a table stores: months, days, microseconds, little-endian.
    pub fn to_bytes(self) -> [u8; 16] {
        let mut bytes = [0; 16];
        bytes[..4].copy_from_slice(&self.months.to_le_bytes());
        bytes[4..8].copy_from_slice(&self.days.to_le_bytes());
        bytes[8..].copy_from_slice(&self.micros.to_le_bytes());
        bytes
    }

    pub fn from_bytes(bytes: [u8; 16]) -> Interval {
        let [m0, m1, m2, m3, d0, d1, d2, d3, rest @ ..] = bytes;
        Interval {
            months: i32::from_le_bytes([m0, m1, m2, m3]),
            days: i32::from_le_bytes([d0, d1, d2, d3]),
            micros: i64::from_le_bytes(rest),
        }
    }

    pub fn checked_add(self, other: Interval) -> Result<Interval, TypeError> {
        Ok(Interval {
            months: self
                .months
                .checked_add(other.months)
                .ok_or_else(out_of_range)?,
            days: self.days.checked_add(other.days).ok_or_else(out_of_range)?,
            micros: self
                .micros
                .checked_add(other.micros)
                .ok_or_else(out_of_range)?,
        })
    }

    pub fn checked_neg(self) -> Result<Interval, TypeError> {
        Ok(Interval {
            months: self.months.checked_neg().ok_or_else(out_of_range)?,
            days: self.days.checked_neg().ok_or_else(out_of_range)?,
            micros: self.micros.checked_neg().ok_or_else(out_of_range)?,
        })
    }

    pub fn checked_sub(self, other: Interval) -> Result<Interval, TypeError> {
        self.checked_add(other.checked_neg()?)
    }

    /// `interval * factor`, PostgreSQL's `interval_mul`: each field is scaled, and
    /// the fractions of months and days cascade down (a month as 30 days, a day as
    /// 24 hours), rounded to the microsecond.
    pub fn checked_mul(self, factor: f64) -> Result<Interval, TypeError> {
        let months = f64::from(self.months) * factor;
        let days = f64::from(self.days) * factor;
        self.scaled(months, days, self.micros as f64 * factor)
    }

    /// `interval / divisor`, PostgreSQL's `interval_div` (22012 for zero).
    pub fn checked_div(self, divisor: f64) -> Result<Interval, TypeError> {
        if divisor == 0.0 {
            return Err(TypeError::DivisionByZero);
        }
        let months = f64::from(self.months) / divisor;
        let days = f64::from(self.days) / divisor;
        self.scaled(months, days, self.micros as f64 / divisor)
    }

    /// The interval of `months` months, `days` days and `micros` microseconds,
    /// each possibly fractional, with the fractions cascading down.
    fn scaled(self, months: f64, days: f64, micros: f64) -> Result<Interval, TypeError> {
        if !I32_FLOATS.contains(&months) || !I32_FLOATS.contains(&days) {
            return Err(out_of_range());
        }
        let (whole_months, whole_days) = (months.trunc(), days.trunc());
        let month_remainder_days = round_to_micros((months - whole_months) * 30.0);
        let mut sec_remainder = round_to_micros(
            (days - whole_days + month_remainder_days - month_remainder_days.trunc())
                * SECS_PER_DAY,
        );
        let mut result_days = whole_days as i64;
        // Rounding may have made a whole day of seconds.
        if sec_remainder.abs() >= SECS_PER_DAY {
            let carried = (sec_remainder / SECS_PER_DAY).trunc();
            result_days += carried as i64;
            sec_remainder -= carried * SECS_PER_DAY;
        }
        result_days += month_remainder_days.trunc() as i64;
        let micros = (micros + sec_remainder * USECS_PER_SEC as f64).round_ties_even();
        if !I64_FLOATS.contains(&micros) {
            return Err(out_of_range());
        }
        Ok(Interval {
            months: whole_months as i32,
            days: i32::try_from(result_days).map_err(|_| out_of_range())?,
            micros: micros as i64,
        })
    }

    /// `timestamp - timestamp`: the microseconds between them, whole days of
    /// them as days (PostgreSQL's `timestamp_mi`, which justifies hours).
    pub fn between(later: i64, earlier: i64) -> Result<Interval, TypeError> {
        if [later, earlier]
            .iter()
            .any(|&t| t == TS_NEG_INFINITY || t == TS_POS_INFINITY)
        {
            return Err(TypeError::DatetimeOutOfRange(
                "cannot subtract infinite timestamps".into(),
            ));
        }
        let micros = later.checked_sub(earlier).ok_or_else(out_of_range)?;
        let mut days = micros / USECS_PER_DAY;
        let mut micros = micros - days * USECS_PER_DAY;
        if days > 0 && micros < 0 {
            micros += USECS_PER_DAY;
            days -= 1;
        } else if days < 0 && micros > 0 {
            micros -= USECS_PER_DAY;
            days += 1;
        }
        Ok(Interval {
            months: 0,
            days: i32::try_from(days).map_err(|_| out_of_range())?,
            micros,
        })
    }

    /// `timestamp + interval`: months first (a day past the month's end becomes
    /// its last day), then days, then microseconds. An infinite timestamp stays.
    pub fn add_to_timestamp(self, us: i64) -> Result<i64, TypeError> {
        if us == TS_NEG_INFINITY || us == TS_POS_INFINITY {
            return Ok(us);
        }
        let local = add_calendar(add_calendar(us, self.months, 0)?, 0, self.days)?;
        checked_timestamp(local.checked_add(self.micros).ok_or_else(out_of_range_ts)?)
    }

    /// `timestamptz + interval`: the months, then the days are added to the
    /// wall-clock time in `tz`, each step read back as an instant in the zone (so a
    /// day across a daylight-saving change is 23 or 25 hours), then the
    /// microseconds to the instant, as PostgreSQL's `timestamptz_pl_interval`.
    pub fn add_to_timestamptz(self, us: i64, tz: &TimeZone) -> Result<i64, TypeError> {
        if us == TS_NEG_INFINITY || us == TS_POS_INFINITY {
            return Ok(us);
        }
        let on_wall_clock = |instant: i64, months: i32, days: i32| -> Result<i64, TypeError> {
            if months == 0 && days == 0 {
                return Ok(instant);
            }
            let offset = i64::from(tz.offset_at_utc(instant)) * USECS_PER_SEC;
            let local = instant.checked_add(offset).ok_or_else(out_of_range_ts)?;
            let local = add_calendar(local, months, days)?;
            let offset = i64::from(tz.offset_for_local(local)) * USECS_PER_SEC;
            local.checked_sub(offset).ok_or_else(out_of_range_ts)
        };
        let instant = on_wall_clock(on_wall_clock(us, self.months, 0)?, 0, self.days)?;
        checked_timestamp(
            instant
                .checked_add(self.micros)
                .ok_or_else(out_of_range_ts)?,
        )
    }
}

/// A wall-clock time plus `months` (a day past the month's end becomes its last
/// day) and `days`.
fn add_calendar(local: i64, months: i32, days: i32) -> Result<i64, TypeError> {
    if months == 0 && days == 0 {
        return Ok(local);
    }
    let (day_count, us_of_day) = split_timestamp(local);
    let (year, month, day) = ymd_from_days(day_count);
    let month_index = year * 12 + i64::from(month) - 1 + i64::from(months);
    let (year, month) = (
        month_index.div_euclid(12),
        month_index.rem_euclid(12) as u32 + 1,
    );
    let day = day.min(days_in_month(year, month));
    let days = days_from_ymd(year, month, day) + i64::from(days);
    let local = days
        .checked_mul(USECS_PER_DAY)
        .and_then(|us| us.checked_add(us_of_day))
        .ok_or_else(out_of_range_ts)?;
    checked_timestamp(local)
}

fn out_of_range_ts() -> TypeError {
    TypeError::DatetimeOutOfRange("timestamp out of range".into())
}

/// Rounds seconds or days to the microsecond, as PostgreSQL's `TSROUND`.
fn round_to_micros(v: f64) -> f64 {
    (v * 1e6).round_ties_even() / 1e6
}

/// Writes `interval` in PostgreSQL's default `IntervalStyle` (`postgres`):
/// `1 year 2 mons -3 days +04:05:06.5`, or `00:00:00` for an empty one.
pub fn write_interval(out: &mut String, interval: &Interval) {
    let years = interval.months / 12;
    let months = interval.months % 12;
    let mut is_zero = true;
    let mut is_before = false;
    for (value, unit) in [(years, "year"), (months, "mon"), (interval.days, "day")] {
        if value == 0 {
            continue;
        }
        if !is_zero {
            out.push(' ');
        }
        if is_before && value > 0 {
            out.push('+');
        }
        out.push_str(&format!(
            "{value} {unit}{}",
            if value == 1 { "" } else { "s" }
        ));
        is_before = value < 0;
        is_zero = false;
    }
    let micros = interval.micros;
    if is_zero || micros != 0 {
        if !is_zero {
            out.push(' ');
        }
        if micros < 0 {
            out.push('-');
        } else if is_before {
            out.push('+');
        }
        let abs = micros.unsigned_abs();
        let hours = abs / USECS_PER_HOUR as u64;
        let minutes = abs / USECS_PER_MINUTE as u64 % 60;
        let seconds = abs / USECS_PER_SEC as u64 % 60;
        let fraction = abs % USECS_PER_SEC as u64;
        out.push_str(&format!("{hours:02}:{minutes:02}:{seconds:02}"));
        if fraction != 0 {
            let digits = format!("{fraction:06}");
            out.push('.');
            out.push_str(digits.trim_end_matches('0'));
        }
    }
}

/// Reads an interval in PostgreSQL's forms: `[@] quantity unit [quantity unit …]
/// [time] [ago]` (units from microseconds to millennia, in their usual spellings;
/// a signed `h:m[:s[.f]]` time; a bare number is seconds) or ISO 8601
/// (`P1Y2M3DT4H5M6.5S`, `P2W`). Fractions cascade down. 22007 otherwise.
pub fn parse_interval(text: &str) -> Result<Interval, TypeError> {
    let invalid = || TypeError::InvalidDatetime {
        type_name: "interval".into(),
        input: text.to_owned(),
    };
    let lower = text.trim().to_ascii_lowercase();
    let mut span = Span::default();
    if let Some(iso) = lower.strip_prefix('p') {
        parse_iso(iso, &mut span).ok_or_else(invalid)?;
    } else {
        parse_postgres(&lower, &mut span).ok_or_else(invalid)?;
    }
    span.finish()
        .ok_or_else(|| TypeError::DatetimeFieldOverflow("interval field value out of range".into()))
}

/// An interval being read, in wide fields so that a literal's overflow is
/// caught once, at the end, with the fields written so far: PostgreSQL refuses a
/// field given twice (`1 day 1 day`, `1 hour 01:02:03`).
///
/// The fields are wide and saturate: a sum past them stays out of the range
/// [`Span::finish`] accepts (22015), never wraps into it.
#[derive(Default)]
struct Span {
    months: i128,
    days: i128,
    micros: i128,
    fields: u16,
}

/// The fields of [`Span::fields`], as PostgreSQL's `DTK_M` bits.
const MICROSECOND: u16 = 1;
const MILLISECOND: u16 = 1 << 1;
const SECOND: u16 = 1 << 2;
const MINUTE: u16 = 1 << 3;
const HOUR: u16 = 1 << 4;
const DAY: u16 = 1 << 5;
const WEEK: u16 = 1 << 6;
const MONTH: u16 = 1 << 7;
const YEAR: u16 = 1 << 8;
const DECADE: u16 = 1 << 9;
const CENTURY: u16 = 1 << 10;
const MILLENNIUM: u16 = 1 << 11;
/// Fractional seconds, or a time of day, fill the smaller fields too.
const ALL_SECONDS: u16 = SECOND | MILLISECOND | MICROSECOND;

impl Span {
    /// Notes `fields` written; None if one was already.
    fn claim(&mut self, fields: u16) -> Option<()> {
        if self.fields & fields != 0 {
            return None;
        }
        self.fields |= fields;
        Some(())
    }

    /// Adds `value` of `unit`; the fraction of a month or a week is days, of a
    /// day seconds, of a year (or more) whole months. Each field's fraction is
    /// rounded to the microsecond on its own, as PostgreSQL does.
    fn add(&mut self, value: f64, unit: Unit) -> Option<()> {
        let whole = value.trunc();
        let fraction = value - whole;
        let field = match unit {
            Unit::Months(1) => MONTH,
            Unit::Months(12) => YEAR,
            Unit::Months(120) => DECADE,
            Unit::Months(1_200) => CENTURY,
            Unit::Months(_) => MILLENNIUM,
            Unit::Days(1) => DAY,
            Unit::Days(_) => WEEK,
            Unit::Micros(1) => MICROSECOND,
            Unit::Micros(1_000) => MILLISECOND,
            Unit::Micros(USECS_PER_SEC) if fraction != 0.0 => ALL_SECONDS,
            Unit::Micros(USECS_PER_SEC) => SECOND,
            Unit::Micros(USECS_PER_MINUTE) => MINUTE,
            Unit::Micros(_) => HOUR,
        };
        self.claim(field)?;
        match unit {
            Unit::Months(per) => {
                if per == 1 {
                    self.months = self.months.saturating_add(whole as i128);
                    self.add_days_fraction(fraction * DAYS_PER_MONTH as f64);
                } else {
                    let months = (value * f64::from(per)).round_ties_even() as i128;
                    self.months = self.months.saturating_add(months);
                }
            }
            Unit::Days(per) => {
                self.days = self.days.saturating_add((whole * f64::from(per)) as i128);
                self.add_days_fraction(fraction * f64::from(per));
            }
            Unit::Micros(per) => {
                let micros = (whole as i128)
                    .saturating_mul(i128::from(per))
                    .saturating_add((fraction * per as f64).round_ties_even() as i128);
                self.micros = self.micros.saturating_add(micros);
            }
        }
        Some(())
    }

    /// Whole days of a fractional day count to days, the rest to microseconds.
    fn add_days_fraction(&mut self, days: f64) {
        let whole = days.trunc();
        self.days = self.days.saturating_add(whole as i128);
        let micros = ((days - whole) * USECS_PER_DAY as f64).round_ties_even() as i128;
        self.micros = self.micros.saturating_add(micros);
    }

    fn negate(&mut self) {
        self.months = self.months.saturating_neg();
        self.days = self.days.saturating_neg();
        self.micros = self.micros.saturating_neg();
    }

    fn finish(&self) -> Option<Interval> {
        Some(Interval {
            months: i32::try_from(self.months).ok()?,
            days: i32::try_from(self.days).ok()?,
            micros: i64::try_from(self.micros).ok()?,
        })
    }
}

/// What a unit word counts: months (1, 12 for a year, …), days (1, 7 for a
/// week) or microseconds.
#[derive(Clone, Copy)]
enum Unit {
    Months(i32),
    Days(i32),
    Micros(i64),
}

fn unit(word: &str) -> Option<Unit> {
    Some(match word {
        "microsecond" | "microseconds" | "us" | "usec" | "usecs" | "useconds" => Unit::Micros(1),
        "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "mseconds" => {
            Unit::Micros(1_000)
        }
        "second" | "seconds" | "s" | "sec" | "secs" => Unit::Micros(USECS_PER_SEC),
        "minute" | "minutes" | "m" | "min" | "mins" => Unit::Micros(USECS_PER_MINUTE),
        "hour" | "hours" | "h" | "hr" | "hrs" => Unit::Micros(USECS_PER_HOUR),
        "day" | "days" | "d" => Unit::Days(1),
        "week" | "weeks" | "w" => Unit::Days(7),
        "month" | "months" | "mon" | "mons" => Unit::Months(1),
        "year" | "years" | "y" | "yr" | "yrs" => Unit::Months(12),
        "decade" | "decades" | "dec" | "decs" => Unit::Months(120),
        "century" | "centuries" | "c" | "cent" => Unit::Months(1_200),
        "millennium" | "millennia" | "mil" | "mils" => Unit::Months(12_000),
        _ => return None,
    })
}

/// `[@] 1 year -2 mons 3 days 04:05:06 [ago]`: numbers with units, at most one
/// time of day, a bare number last as seconds.
fn parse_postgres(text: &str, span: &mut Span) -> Option<()> {
    let text = text.strip_prefix('@').unwrap_or(text);
    let tokens = tokens(text);
    if tokens.is_empty() {
        return None;
    }
    let mut ago = false;
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i].as_str();
        if token == "ago" {
            // Only last.
            if i + 1 != tokens.len() {
                return None;
            }
            ago = true;
        } else if token.contains(':') {
            span.claim(HOUR | MINUTE | ALL_SECONDS)?;
            let micros = time_of_day(token)?.round_ties_even() as i128;
            span.micros = span.micros.saturating_add(micros);
        } else {
            let value: f64 = token.parse().ok().filter(|v: &f64| v.is_finite())?;
            match tokens.get(i + 1).and_then(|word| unit(word)) {
                Some(u) => {
                    span.add(value, u)?;
                    i += 1;
                }
                // A number with no unit is seconds, and only last (or before ago).
                None if tokens.get(i + 1).is_none_or(|t| t == "ago") => {
                    span.add(value, Unit::Micros(USECS_PER_SEC))?;
                }
                None => return None,
            }
        }
        i += 1;
    }
    // `ago` alone says nothing.
    if span.fields == 0 {
        return None;
    }
    if ago {
        span.negate();
    }
    Some(())
}

/// Splits at whitespace and between a number and the word after it (`1day`).
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in text.split_whitespace() {
        let split = word
            .char_indices()
            .find(|&(i, c)| i > 0 && c.is_ascii_alphabetic() && !word[..i].contains(':'))
            .map(|(i, _)| i);
        match split {
            Some(i) if word[..i].parse::<f64>().is_ok() => {
                out.push(word[..i].to_owned());
                out.push(word[i..].to_owned());
            }
            _ => out.push(word.to_owned()),
        }
    }
    out
}

/// `[-+]h:m[:s[.f]]` as microseconds (the sign applies to all of it).
fn time_of_day(token: &str) -> Option<f64> {
    let (negative, rest) = match token.as_bytes().first()? {
        b'-' => (true, &token[1..]),
        b'+' => (false, &token[1..]),
        _ => (false, token),
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (h, m, s) = match parts.as_slice() {
        [h, m] => (*h, *m, "0"),
        [h, m, s] => (*h, *m, *s),
        _ => return None,
    };
    let seconds_ok = {
        let (whole, fraction) = s.split_once('.').unwrap_or((s, "0"));
        digits(whole) && (fraction.is_empty() || digits(fraction))
    };
    if !(digits(h) && digits(m) && seconds_ok) {
        return None;
    }
    let (h, m, s): (f64, f64, f64) = (h.parse().ok()?, m.parse().ok()?, s.parse().ok()?);
    if m >= 60.0 || s >= 60.0 {
        return None;
    }
    let micros = (h * 3_600.0 + m * 60.0 + s) * USECS_PER_SEC as f64;
    Some(if negative { -micros } else { micros })
}

/// ISO 8601 after its `P`: `nY nM nW nD`, then after `T`: `nH nM nS`.
fn parse_iso(text: &str, span: &mut Span) -> Option<()> {
    let (date, time) = match text.split_once('t') {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    if date.is_empty() && time.is_none_or(str::is_empty) {
        return None;
    }
    let designators = |part: &str, units: &dyn Fn(char) -> Option<Unit>, span: &mut Span| {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || matches!(c, '.' | '-' | '+') {
                number.push(c);
                continue;
            }
            let value: f64 = number.parse().ok()?;
            span.add(value, units(c)?)?;
            number.clear();
        }
        number.is_empty().then_some(())
    };
    designators(
        date,
        &|c| match c {
            'y' => Some(Unit::Months(12)),
            'm' => Some(Unit::Months(1)),
            'w' => Some(Unit::Days(7)),
            'd' => Some(Unit::Days(1)),
            _ => None,
        },
        span,
    )?;
    if let Some(time) = time {
        designators(
            time,
            &|c| match c {
                'h' => Some(Unit::Micros(USECS_PER_HOUR)),
                'm' => Some(Unit::Micros(USECS_PER_MINUTE)),
                's' => Some(Unit::Micros(USECS_PER_SEC)),
                _ => None,
            },
            span,
        )?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(text: &str) -> String {
        let mut out = String::new();
        write_interval(&mut out, &parse_interval(text).unwrap());
        out
    }

    /// Input forms and the `postgres` output style, as PostgreSQL 15 answers.
    #[test]
    fn text_forms_match_postgres() {
        for (input, shown) in [
            (
                "1 year 2 mons 3 days 04:05:06.789",
                "1 year 2 mons 3 days 04:05:06.789",
            ),
            ("-1 day 2 hours", "-1 days +02:00:00"),
            ("1 day -2 hours", "1 day -02:00:00"),
            ("P1Y2M3DT4H5M6S", "1 year 2 mons 3 days 04:05:06"),
            ("1.5 days", "1 day 12:00:00"),
            ("@ 1 day ago", "-1 days"),
            ("90 minutes", "01:30:00"),
            ("2 weeks", "14 days"),
            ("1:30", "01:30:00"),
            ("100 hours", "100:00:00"),
            ("0", "00:00:00"),
            ("1.5 months", "1 mon 15 days"),
            ("1.5 years", "1 year 6 mons"),
            ("10", "00:00:10"),
            ("1day", "1 day"),
            ("-00:00:01.5", "-00:00:01.5"),
            ("1 mon -1 day", "1 mon -1 days"),
            ("1.5 microseconds", "00:00:00.000001"),
            ("1 second 1 ms", "00:00:01.001"),
            ("1.5 days 3 hours", "1 day 15:00:00"),
            ("01:00 1 day", "1 day 01:00:00"),
        ] {
            assert_eq!(show(input), shown, "{input}");
        }
        // Sums past every field's range are 22015, never wrapped (found by review).
        let ones = "1".repeat(300);
        for huge in [
            format!("{ones} years {ones} decades"),
            format!("{ones} days {ones} weeks"),
            format!("P{ones}Y{ones}M"),
            format!("{ones} hours"),
            format!("0.5 day {ones}:00"),
        ] {
            assert!(
                matches!(
                    parse_interval(&huge),
                    Err(TypeError::DatetimeFieldOverflow(_))
                ),
                "{huge}"
            );
        }
        for bad in [
            "",
            "abc",
            "1 fortnight",
            "P",
            "1:2:3:4",
            "ago 1 day",
            "ago",
            "1 day 1 day",
            "1 mon 1 month",
            "1 hour 01:02:03",
            "1.5 seconds 1 ms",
            "1 sec 2",
        ] {
            assert!(parse_interval(bad).is_err(), "{bad:?}");
        }
    }

    /// Multiplication cascades fractions down; division by zero is 22012; a
    /// month equals 30 days when compared.
    #[test]
    fn arithmetic_matches_postgres() {
        let i = |t: &str| parse_interval(t).unwrap();
        let shown = |v: Interval| {
            let mut out = String::new();
            write_interval(&mut out, &v);
            out
        };
        assert_eq!(shown(i("1 mon").checked_mul(1.5).unwrap()), "1 mon 15 days");
        assert_eq!(shown(i("1 day").checked_div(3.0).unwrap()), "08:00:00");
        assert!(matches!(
            i("1 day").checked_div(0.0),
            Err(TypeError::DivisionByZero)
        ));
        assert_eq!(i("1 mon").compare(&i("30 days")), Ordering::Equal);
        assert_eq!(
            shown(Interval::between(USECS_PER_DAY + 3 * USECS_PER_HOUR, 0).unwrap()),
            "1 day 03:00:00"
        );
        // 2024-01-31 + 1 month is the last day of February.
        let jan31 = days_from_ymd(2024, 1, 31) * USECS_PER_DAY;
        let feb29 = days_from_ymd(2024, 2, 29) * USECS_PER_DAY;
        assert_eq!(i("1 month").add_to_timestamp(jan31).unwrap(), feb29);
        assert_eq!(
            i("1 day").add_to_timestamp(TS_POS_INFINITY).unwrap(),
            TS_POS_INFINITY
        );
    }
}
