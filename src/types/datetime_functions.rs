//! `date_trunc`, `EXTRACT` and `date_part`, as PostgreSQL 15 computes them.
//!
//! Both work on the local time: a timestamp as it is, a timestamptz in the session
//! zone (so `date_trunc('day', now())` is local midnight, returned as an instant).
//! `EXTRACT` returns numeric with PostgreSQL 15's scales (`second` has 6 decimals,
//! `epoch` of a timestamp too); `date_part` returns float8, computed in floating
//! point where PostgreSQL 15 does (see [`float_field_value`]).

use rust_decimal::Decimal;

use super::interval::Interval;
use super::ops::{numeric_div, with_scale};
use super::time::{
    checked_timestamp, date2j, days_from_ymd, split_timestamp, ymd_from_days, TS_NEG_INFINITY,
    TS_POS_INFINITY, UNIX_EPOCH_OFFSET_DAYS, USECS_PER_DAY, USECS_PER_SEC,
};
use super::timezone::TimeZone;
use super::{TypeError, Value};

/// The units PostgreSQL knows, after its aliases (`secs`, `mon`, `yr`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Microseconds,
    Milliseconds,
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
    Decade,
    Century,
    Millennium,
    Epoch,
    Dow,
    Isodow,
    Doy,
    Isoyear,
    Julian,
    Timezone,
    TimezoneHour,
    TimezoneMinute,
}

fn parse_unit(text: &str) -> Option<Unit> {
    use Unit::*;
    Some(match text.trim().to_ascii_lowercase().as_str() {
        "microsecond" | "microseconds" | "us" | "usec" | "usecs" | "useconds" => Microseconds,
        "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "mseconds" => Milliseconds,
        "second" | "seconds" | "s" | "sec" | "secs" => Second,
        "minute" | "minutes" | "m" | "min" | "mins" => Minute,
        "hour" | "hours" | "h" | "hr" | "hrs" => Hour,
        "day" | "days" | "d" => Day,
        "week" | "weeks" | "w" => Week,
        "month" | "months" | "mon" | "mons" => Month,
        "quarter" | "qtr" => Quarter,
        "year" | "years" | "y" | "yr" | "yrs" => Year,
        "decade" | "decades" | "dec" | "decs" => Decade,
        "century" | "centuries" | "c" | "cent" => Century,
        "millennium" | "millennia" | "mil" | "mils" => Millennium,
        "epoch" => Epoch,
        "dow" => Dow,
        "isodow" => Isodow,
        "doy" => Doy,
        "isoyear" => Isoyear,
        "julian" | "j" => Julian,
        "timezone" => Timezone,
        "timezone_h" | "timezone_hour" => TimezoneHour,
        "timezone_m" | "timezone_minute" => TimezoneMinute,
        _ => return None,
    })
}

fn type_name(v: &Value) -> String {
    v.data_type().to_string()
}

fn not_recognized(unit: &str, v: &Value) -> TypeError {
    TypeError::InvalidParameterValue(format!(
        "unit \"{}\" not recognized for type {}",
        unit.trim().to_lowercase(),
        type_name(v)
    ))
}

fn not_supported(unit: &str, v: &Value) -> TypeError {
    TypeError::Unsupported(format!(
        "unit \"{}\" not supported for type {}",
        unit.trim().to_lowercase(),
        type_name(v)
    ))
}

/// The local time of a timestamp or timestamptz, and the zone offset used.
fn local_time(v: &Value, tz: &TimeZone) -> Option<(i64, i32)> {
    match v {
        Value::Timestamp(us) => Some((*us, 0)),
        Value::Timestamptz(us) if *us == TS_NEG_INFINITY || *us == TS_POS_INFINITY => {
            Some((*us, 0))
        }
        Value::Timestamptz(us) => {
            let offset = tz.offset_at_utc(*us);
            Some((us + i64::from(offset) * USECS_PER_SEC, offset))
        }
        _ => None,
    }
}

/// A finite value's local time as a day since 2000-01-01 and the microsecond of
/// that day, with the zone offset in seconds east (0 but for timestamptz).
#[derive(Clone, Copy)]
struct Local {
    days: i64,
    us_of_day: i64,
    offset: i32,
}

/// The [`Local`] time of a finite date, timestamp or timestamptz. A date is kept in
/// days: its microseconds overflow past the timestamp range, where dates go on.
fn local_fields(v: &Value, tz: &TimeZone) -> Option<Local> {
    if let Value::Date(d) = v {
        return Some(Local {
            days: i64::from(*d),
            us_of_day: 0,
            offset: 0,
        });
    }
    let (local, offset) = local_time(v, tz)?;
    let (days, us_of_day) = split_timestamp(local);
    Some(Local {
        days,
        us_of_day,
        offset,
    })
}

/// `date_trunc(unit, timestamp|timestamptz)`.
pub fn date_trunc(unit_text: &str, v: &Value, tz: &TimeZone) -> Result<Value, TypeError> {
    let unit = parse_unit(unit_text).ok_or_else(|| not_recognized(unit_text, v))?;
    let (local, _) = local_time(v, tz).ok_or_else(|| not_supported(unit_text, v))?;
    if local == TS_NEG_INFINITY || local == TS_POS_INFINITY {
        return Ok(v.clone());
    }
    let (days, us_of_day) = split_timestamp(local);
    let (y, m, _) = ymd_from_days(days);
    let at_day = |d: i64| d * USECS_PER_DAY;
    let truncated = match unit {
        Unit::Microseconds => local,
        Unit::Milliseconds => local - local.rem_euclid(1000),
        Unit::Second => local - local.rem_euclid(USECS_PER_SEC),
        Unit::Minute => local - local.rem_euclid(60 * USECS_PER_SEC),
        Unit::Hour => local - local.rem_euclid(3600 * USECS_PER_SEC),
        Unit::Day => local - us_of_day,
        // Weeks start on Monday; 2000-01-03 (day 2) was a Monday.
        Unit::Week => at_day(days - (days - 2).rem_euclid(7)),
        Unit::Month => at_day(days_from_ymd(y, m, 1)),
        Unit::Quarter => at_day(days_from_ymd(y, (m - 1) / 3 * 3 + 1, 1)),
        Unit::Year => at_day(days_from_ymd(y, 1, 1)),
        Unit::Decade => at_day(days_from_ymd(y - y.rem_euclid(10), 1, 1)),
        Unit::Century => at_day(days_from_ymd(first_year_of(y, 100), 1, 1)),
        Unit::Millennium => at_day(days_from_ymd(first_year_of(y, 1000), 1, 1)),
        _ => return Err(not_supported(unit_text, v)),
    };
    // The result can leave the range: the century of 4714 BC starts in 4801 BC, and
    // east of UTC the local midnight of the first day is before it in UTC.
    Ok(match v {
        Value::Timestamp(_) => Value::Timestamp(checked_timestamp(truncated)?),
        _ => Value::Timestamptz(checked_timestamp(
            truncated - i64::from(tz.offset_for_local(truncated)) * USECS_PER_SEC,
        )?),
    })
}

/// First year of the century/millennium containing `y` (they start at year 1).
fn first_year_of(y: i64, span: i64) -> i64 {
    if y > 0 {
        ((y + span - 1) / span - 1) * span + 1
    } else {
        -((span - 1 - (y - 1)) / span) * span + 1
    }
}

/// What a field of an infinite timestamp is: ±infinity for the ever-growing
/// fields, NULL for the others (PostgreSQL 15).
enum Field {
    /// A finite value's `unit`, at its local time.
    Finite {
        unit: Unit,
        local: Local,
    },
    Infinite(bool),
    Null,
}

/// `EXTRACT(unit FROM v)` as numeric. A ±infinity result is 0A000: Turnstile's
/// numeric has no infinity (`date_part` returns it as a float).
pub fn extract(unit: &str, v: &Value, tz: &TimeZone) -> Result<Value, TypeError> {
    if let Value::Interval(interval) = v {
        return interval_field(unit, interval, v).map(|(exact, _)| Value::Numeric(exact));
    }
    match field(unit, v, tz)? {
        Field::Finite { unit, local } => Ok(Value::Numeric(field_value(unit, v, local)?)),
        Field::Infinite(_) => Err(TypeError::Unsupported(
            "numeric infinity is not supported".to_owned(),
        )),
        Field::Null => Ok(Value::Null),
    }
}

/// `date_part(unit, v)` as float8.
pub fn date_part(unit: &str, v: &Value, tz: &TimeZone) -> Result<Value, TypeError> {
    if let Value::Interval(interval) = v {
        return interval_field(unit, interval, v).map(|(_, float)| Value::Float8(float));
    }
    Ok(match field(unit, v, tz)? {
        Field::Finite { unit, local } => Value::Float8(float_field_value(unit, v, local)?),
        Field::Infinite(negative) => Value::Float8(if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }),
        Field::Null => Value::Null,
    })
}

fn field(unit_text: &str, v: &Value, tz: &TimeZone) -> Result<Field, TypeError> {
    use Unit::*;
    let unit = parse_unit(unit_text).ok_or_else(|| not_recognized(unit_text, v))?;
    let is_date = matches!(v, Value::Date(_));
    let time_unit = matches!(unit, Microseconds | Milliseconds | Second | Minute | Hour);
    let zone_unit = matches!(unit, Timezone | TimezoneHour | TimezoneMinute);
    if (is_date && (time_unit || zone_unit)) || (zone_unit && !matches!(v, Value::Timestamptz(_))) {
        return Err(not_supported(unit_text, v));
    }
    let infinite = match v {
        Value::Date(d) => (*d == i32::MIN || *d == i32::MAX).then_some(*d == i32::MIN),
        Value::Timestamp(us) | Value::Timestamptz(us) => {
            (*us == TS_NEG_INFINITY || *us == TS_POS_INFINITY).then_some(*us == TS_NEG_INFINITY)
        }
        _ => return Err(not_supported(unit_text, v)),
    };
    if let Some(negative) = infinite {
        let monotonic = matches!(
            unit,
            Epoch | Year | Julian | Decade | Century | Millennium | Isoyear
        );
        return Ok(if monotonic {
            Field::Infinite(negative)
        } else {
            Field::Null
        });
    }
    let local = local_fields(v, tz).ok_or_else(|| not_supported(unit_text, v))?;
    Ok(Field::Finite { unit, local })
}

/// A field of an interval, exact (for `EXTRACT`) and as PostgreSQL 15's
/// `date_part` computes it in floating point: the interval split as its
/// `interval2itm` splits it (years and months from the months, the days, then
/// hours, minutes and seconds of the microseconds, each with the field's sign);
/// `epoch` counts a year as 365.25 days and a month as 30.
fn interval_field(
    unit_text: &str,
    interval: &Interval,
    v: &Value,
) -> Result<(Decimal, f64), TypeError> {
    use Unit::*;
    let unit = parse_unit(unit_text).ok_or_else(|| not_recognized(unit_text, v))?;
    let int = |n: i64| (Decimal::from(n), n as f64);
    let (years, months) = (
        i64::from(interval.months / 12),
        i64::from(interval.months % 12),
    );
    let micros = interval.micros;
    let sec = micros / USECS_PER_SEC % 60;
    let usec = micros % USECS_PER_SEC;
    let sec_us = micros % (60 * USECS_PER_SEC);
    Ok(match unit {
        Microseconds => (
            Decimal::from(sec_us),
            sec as f64 * 1_000_000.0 + usec as f64,
        ),
        Milliseconds => (
            Decimal::new(sec_us, 3),
            sec as f64 * 1000.0 + usec as f64 / 1000.0,
        ),
        Second => (
            Decimal::new(sec_us, 6),
            sec as f64 + usec as f64 / 1_000_000.0,
        ),
        Minute => int(micros / (60 * USECS_PER_SEC) % 60),
        Hour => int(micros / (3_600 * USECS_PER_SEC)),
        Day => int(i64::from(interval.days)),
        Month => int(months),
        Quarter => int(months / 3 + 1),
        Year => int(years),
        Decade => int(years / 10),
        Century => int(years / 100),
        Millennium => int(years / 1_000),
        Epoch => {
            // In quarter days, so that 365.25 days stays an integer.
            let quarter_days = 1_461 * years + 120 * months + 4 * i64::from(interval.days);
            let us = i128::from(quarter_days) * i128::from(USECS_PER_DAY / 4) + i128::from(micros);
            let exact = Decimal::from_i128_with_scale(us, 6);
            let float = micros as f64 / 1_000_000.0
                + 365.25 * 86_400.0 * years as f64
                + 30.0 * 86_400.0 * months as f64
                + 86_400.0 * f64::from(interval.days);
            (exact, float)
        }
        _ => return Err(not_supported(unit_text, v)),
    })
}

/// PostgreSQL's `SetEpochTimestamp`: 1970-01-01 in microseconds since 2000-01-01.
const UNIX_EPOCH_US: i64 = -UNIX_EPOCH_OFFSET_DAYS * USECS_PER_DAY;

/// Whether the microseconds from 1970 to `us` fit an int8; they do not in the last
/// thirty years of the range. PostgreSQL's test, strict as there.
fn unix_us_fit(us: i64) -> bool {
    us < i64::MAX + UNIX_EPOCH_US
}

/// `EXTRACT(epoch ...)` of a timestamp (its local time read as UTC) or timestamptz:
/// seconds since 1970 with 6 decimals. Where the microseconds do not fit an int8,
/// PostgreSQL 15 divides them as numerics, which rounds to the division's scale (4
/// decimals there) before the 6 are shown.
fn numeric_epoch(us: i64) -> Result<Decimal, TypeError> {
    if unix_us_fit(us) {
        return Ok(Decimal::new(us - UNIX_EPOCH_US, 6));
    }
    let since_unix = Decimal::from(us) - Decimal::from(UNIX_EPOCH_US);
    Ok(with_scale(
        numeric_div(since_unix, Decimal::from(USECS_PER_SEC))?,
        6,
    ))
}

/// `date_part('epoch', ...)` as PostgreSQL 15 computes it: from the microseconds
/// since 1970, or where they do not fit an int8 in float8 throughout.
fn float_epoch(us: i64) -> f64 {
    if unix_us_fit(us) {
        (us - UNIX_EPOCH_US) as f64 / 1_000_000.0
    } else {
        (us as f64 - UNIX_EPOCH_US as f64) / 1_000_000.0
    }
}

/// `date_part`'s float8. PostgreSQL 15 computes the fractional units in floating
/// point (`tm_sec + fsec / 1000000.0`), which can differ in the last digit from the
/// exact numeric converted: 11.489776 seconds is 11.489775999999999 there.
fn float_field_value(unit: Unit, v: &Value, local: Local) -> Result<f64, TypeError> {
    let Local {
        days, us_of_day, ..
    } = local;
    let secs_of_day = (us_of_day / USECS_PER_SEC) as f64;
    let secs = (us_of_day / USECS_PER_SEC % 60) as f64;
    let fsec = (us_of_day % USECS_PER_SEC) as f64;
    Ok(match (unit, v) {
        (Unit::Milliseconds, _) => secs * 1000.0 + fsec / 1000.0,
        (Unit::Second, _) => secs + fsec / 1_000_000.0,
        (Unit::Epoch, Value::Timestamp(us) | Value::Timestamptz(us)) => float_epoch(*us),
        (Unit::Julian, _) => {
            let (y, m, d) = ymd_from_days(days);
            date2j(y, m, d) as f64 + (secs_of_day + fsec / 1_000_000.0) / 86_400.0
        }
        _ => super::cast::decimal_to_f64(field_value(unit, v, local)?),
    })
}

fn field_value(unit: Unit, v: &Value, local: Local) -> Result<Decimal, TypeError> {
    use Unit::*;
    let is_date = matches!(v, Value::Date(_));
    let Local {
        days,
        us_of_day,
        offset,
    } = local;
    let (y, m, d) = ymd_from_days(days);
    let int = |n: i64| Decimal::from(n);
    let secs_us = us_of_day % (60 * USECS_PER_SEC);
    let doy = days - days_from_ymd(y, 1, 1) + 1;
    let isodow = (days - 2).rem_euclid(7) + 1;
    Ok(match unit {
        Microseconds => int(secs_us),
        Milliseconds => Decimal::new(secs_us, 3),
        Second => Decimal::new(secs_us, 6),
        Minute => int(us_of_day / (60 * USECS_PER_SEC) % 60),
        Hour => int(us_of_day / (3600 * USECS_PER_SEC)),
        Day => int(i64::from(d)),
        Month => int(i64::from(m)),
        Quarter => int((i64::from(m) - 1) / 3 + 1),
        // Astronomical year 0 is 1 BC, which PostgreSQL reports as -1.
        Year => int(if y > 0 { y } else { y - 1 }),
        Decade => int(y.div_euclid(10)),
        Century => int(if y > 0 {
            (y + 99) / 100
        } else {
            -((99 - (y - 1)) / 100)
        }),
        Millennium => int(if y > 0 {
            (y + 999) / 1000
        } else {
            -((999 - (y - 1)) / 1000)
        }),
        Dow => int(isodow % 7),
        Isodow => int(isodow),
        Doy => int(doy),
        Week => int(iso_week(days, isodow).1),
        // As with Year, an astronomical ISO year 0 or before is BC, one less.
        Isoyear => {
            let (iso_year, _) = iso_week(days, isodow);
            int(if iso_year > 0 { iso_year } else { iso_year - 1 })
        }
        Epoch => match v {
            Value::Timestamp(us) | Value::Timestamptz(us) => numeric_epoch(*us)?,
            // A date's epoch is whole days of seconds.
            _ => int((days + UNIX_EPOCH_OFFSET_DAYS) * 86_400),
        },
        Julian => {
            let jd = int(date2j(y, m, d));
            if is_date {
                jd
            } else {
                jd + numeric_div(int(us_of_day), int(USECS_PER_DAY))?
            }
        }
        Timezone => int(i64::from(offset)),
        TimezoneHour => int(i64::from(offset / 3600)),
        TimezoneMinute => int(i64::from(offset / 60 % 60)),
    })
}

/// ISO 8601 year and week of a day: the week belongs to the year of its Thursday.
fn iso_week(days: i64, isodow: i64) -> (i64, i64) {
    let thursday = days + 4 - isodow;
    let (year, _, _) = ymd_from_days(thursday);
    let week = (thursday - days_from_ymd(year, 1, 1)) / 7 + 1;
    (year, week)
}
