//! `to_char(timestamp | timestamptz | date, template)`: a date and time written
//! by a template, as PostgreSQL's `formatting.c` writes it.
//!
//! A template is read left to right, taking the longest keyword PostgreSQL knows
//! at each place (`HH24` before `HH`, `MONTH`, `Month` and `month` apart, since
//! their case is the output's); anything else is copied, a double-quoted part
//! word for word (`\"` a quote), and a backslash before a quote outside one
//! gives the quote. `FM` before a keyword drops its padding (leading zeros,
//! the blanks after a name), `TH`/`th` after a number adds its ordinal suffix,
//! and `TM` (translation; the names are English either way) and `SP` are read
//! and ignored, as PostgreSQL does without a locale. Every keyword PostgreSQL
//! has is recognized; those Turnstile does not write (`TZ` of a fixed-offset
//! zone, `FF1`…`FF6`, `RM`, the ISO and Julian-day fields, `FX`) answer 0A000
//! rather than being copied as text. A timestamp without zone has no zone:
//! `TZ` writes nothing for it and `OF` `+00`, as in PostgreSQL; a date is
//! written as the timestamptz of its midnight. `to_char` of a number or an
//! interval is not here (0A000).

use super::time::{days_from_ymd, split_timestamp, ymd_from_days, USECS_PER_SEC};
use super::timezone::TimeZone;
use super::{TypeError, Value};

/// The keywords, longest first where one begins another.
const KEYWORDS: &[&str] = &[
    "A.D.", "A.M.", "AD", "AM", "B.C.", "BC", "CC", "DAY", "DDD", "DD", "DY", "Day", "Dy", "D",
    "FF1", "FF2", "FF3", "FF4", "FF5", "FF6", "FX", "HH24", "HH12", "HH", "IDDD", "ID", "IW",
    "IYYY", "IYY", "IY", "I", "J", "MI", "MM", "MONTH", "MON", "MS", "Month", "Mon", "OF", "P.M.",
    "PM", "Q", "RM", "SSSSS", "SSSS", "SS", "TZH", "TZM", "TZ", "US", "WW", "W", "Y,YYY", "YYYY",
    "YYY", "YY", "Y", "a.d.", "a.m.", "ad", "am", "b.c.", "bc", "cc", "day", "ddd", "dd", "dy",
    "d", "ff1", "ff2", "ff3", "ff4", "ff5", "ff6", "fx", "hh24", "hh12", "hh", "iddd", "id", "iw",
    "iyyy", "iyy", "iy", "i", "j", "mi", "mm", "month", "mon", "ms", "of", "p.m.", "pm", "q", "rm",
    "sssss", "ssss", "ss", "tz", "us", "ww", "w", "y,yyy", "yyyy", "yyy", "yy", "y",
];

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// The fields of the local time being written.
struct Fields {
    /// The astronomical year (0 is 1 BC).
    year: i64,
    month: u32,
    day: u32,
    /// 1 for January 1st.
    day_of_year: i64,
    /// 0 for Sunday.
    weekday: usize,
    hour: i64,
    minute: i64,
    second: i64,
    microsecond: i64,
    /// The zone's offset east (0 for a value without zone, as PostgreSQL
    /// writes it for `OF`), and what `TZ` writes.
    offset: i32,
    abbreviation: Abbreviation,
}

/// What `TZ` writes.
enum Abbreviation {
    /// Nothing: the value has no zone (a timestamp).
    None,
    Known(String),
    /// The zone was set as an offset, whose abbreviation Turnstile does not
    /// know (0A000).
    Unknown,
}

/// `to_char(value, template)` of a date, timestamp or timestamptz (in `tz`);
/// an infinite one writes nothing (NULL), as in PostgreSQL.
pub fn to_char(value: &Value, template: &str, tz: &TimeZone) -> Result<Value, TypeError> {
    let Some(fields) = fields_of(value, tz) else {
        return Ok(Value::Null);
    };
    let mut out = String::new();
    let mut rest = template;
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('"') {
            rest = copy_quoted(quoted, &mut out);
            continue;
        }
        if let Some(after) = rest.strip_prefix("\\\"") {
            out.push('"');
            rest = after;
            continue;
        }
        let (fill_mode, after_prefix) = strip_prefixes(rest);
        match KEYWORDS.iter().find(|k| after_prefix.starts_with(**k)) {
            Some(keyword) => {
                let mut after = &after_prefix[keyword.len()..];
                let ordinal = match after.get(..2) {
                    Some(suffix @ ("TH" | "th")) => {
                        after = &after[2..];
                        Some(suffix == "TH")
                    }
                    _ => None,
                };
                after = after.strip_prefix("SP").unwrap_or(after);
                write_keyword(keyword, &fields, fill_mode, ordinal, &mut out)?;
                rest = after;
            }
            None => {
                // Not a keyword: the prefixes were text, and so is this character.
                let c = rest.chars().next().expect("rest is not empty");
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    Ok(Value::Text(out))
}

/// Skips `FM` and `TM` (in either case) before a keyword: whether `FM` was
/// among them, and the text after them.
fn strip_prefixes(mut text: &str) -> (bool, &str) {
    let mut fill_mode = false;
    loop {
        match text.get(..2) {
            Some("FM" | "fm") => fill_mode = true,
            Some("TM" | "tm") => {}
            _ => return (fill_mode, text),
        }
        text = &text[2..];
    }
}

/// Copies a double-quoted part (its opening quote already read) and returns
/// what follows its closing quote; `\"` inside is a quote, `\\` a backslash.
fn copy_quoted<'t>(text: &'t str, out: &mut String) -> &'t str {
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return &text[i + 1..],
            '\\' => match chars.next() {
                Some((_, escaped)) => out.push(escaped),
                None => return "",
            },
            c => out.push(c),
        }
    }
    ""
}

fn fields_of(value: &Value, tz: &TimeZone) -> Option<Fields> {
    let (local_us, offset, abbreviation) = match value {
        Value::Timestamp(us) if *us == i64::MIN || *us == i64::MAX => return None,
        Value::Timestamp(us) => (*us, 0, Abbreviation::None),
        Value::Timestamptz(us) if *us == i64::MIN || *us == i64::MAX => return None,
        Value::Timestamptz(us) => {
            let offset = tz.offset_at_utc(*us);
            let abbreviation = match tz.abbreviation_at_utc(*us) {
                Some(text) => Abbreviation::Known(text),
                None => Abbreviation::Unknown,
            };
            (us + i64::from(offset) * USECS_PER_SEC, offset, abbreviation)
        }
        _ => return None,
    };
    let (days, us_of_day) = split_timestamp(local_us);
    let (year, month, day) = ymd_from_days(days);
    Some(Fields {
        year,
        month,
        day,
        day_of_year: days - days_from_ymd(year, 1, 1) + 1,
        // 2000-01-01 was a Saturday.
        weekday: (days + 6).rem_euclid(7) as usize,
        hour: us_of_day / (3600 * USECS_PER_SEC),
        minute: us_of_day / (60 * USECS_PER_SEC) % 60,
        second: us_of_day / USECS_PER_SEC % 60,
        microsecond: us_of_day % USECS_PER_SEC,
        offset,
        abbreviation,
    })
}

/// Writes one keyword's field.
fn write_keyword(
    keyword: &str,
    f: &Fields,
    fill_mode: bool,
    ordinal: Option<bool>,
    out: &mut String,
) -> Result<(), TypeError> {
    // PostgreSQL's year for output: 1 BC is 1, with BC written by its keyword.
    let year = if f.year <= 0 { 1 - f.year } else { f.year };
    let bc = f.year <= 0;
    let pm = f.hour >= 12;
    let hour12 = match f.hour % 12 {
        0 => 12,
        h => h,
    };
    let number = |n: i64, width: usize, out: &mut String| {
        if fill_mode {
            out.push_str(&n.to_string());
        } else {
            out.push_str(&format!("{n:0width$}"));
        }
        if let Some(upper) = ordinal {
            out.push_str(&ordinal_suffix(n, upper));
        }
    };
    let name = |text: String, out: &mut String| {
        if fill_mode {
            out.push_str(&text);
        } else {
            out.push_str(&format!("{text:<9}"));
        }
    };
    match keyword {
        "HH" | "HH12" | "hh" | "hh12" => number(hour12, 2, out),
        "HH24" | "hh24" => number(f.hour, 2, out),
        "MI" | "mi" => number(f.minute, 2, out),
        "SS" | "ss" => number(f.second, 2, out),
        "MS" | "ms" => number(f.microsecond / 1000, 3, out),
        "US" | "us" => number(f.microsecond, 6, out),
        "SSSS" | "ssss" | "SSSSS" | "sssss" => {
            number(f.hour * 3600 + f.minute * 60 + f.second, 0, out)
        }
        "AM" | "PM" => out.push_str(if pm { "PM" } else { "AM" }),
        "am" | "pm" => out.push_str(if pm { "pm" } else { "am" }),
        "A.M." | "P.M." => out.push_str(if pm { "P.M." } else { "A.M." }),
        "a.m." | "p.m." => out.push_str(if pm { "p.m." } else { "a.m." }),
        "AD" | "BC" => out.push_str(if bc { "BC" } else { "AD" }),
        "ad" | "bc" => out.push_str(if bc { "bc" } else { "ad" }),
        "A.D." | "B.C." => out.push_str(if bc { "B.C." } else { "A.D." }),
        "a.d." | "b.c." => out.push_str(if bc { "b.c." } else { "a.d." }),
        "Y,YYY" | "y,yyy" => {
            out.push_str(&format!("{},{:03}", year / 1000, year % 1000));
            if let Some(upper) = ordinal {
                out.push_str(&ordinal_suffix(year, upper));
            }
        }
        "YYYY" | "yyyy" => number(year, 4, out),
        "YYY" | "yyy" => number(year % 1000, 3, out),
        "YY" | "yy" => number(year % 100, 2, out),
        "Y" | "y" => number(year % 10, 1, out),
        // A BC century is negative, three wide with its sign.
        "CC" | "cc" if bc => number(-((year - 1) / 100 + 1), 3, out),
        "CC" | "cc" => number((year - 1) / 100 + 1, 2, out),
        "MONTH" => name(MONTHS[f.month as usize - 1].to_ascii_uppercase(), out),
        "Month" => name(MONTHS[f.month as usize - 1].to_owned(), out),
        "month" => name(MONTHS[f.month as usize - 1].to_ascii_lowercase(), out),
        "MON" => out.push_str(&MONTHS[f.month as usize - 1][..3].to_ascii_uppercase()),
        "Mon" => out.push_str(&MONTHS[f.month as usize - 1][..3]),
        "mon" => out.push_str(&MONTHS[f.month as usize - 1][..3].to_ascii_lowercase()),
        "MM" | "mm" => number(i64::from(f.month), 2, out),
        "DAY" => name(DAYS[f.weekday].to_ascii_uppercase(), out),
        "Day" => name(DAYS[f.weekday].to_owned(), out),
        "day" => name(DAYS[f.weekday].to_ascii_lowercase(), out),
        "DY" => out.push_str(&DAYS[f.weekday][..3].to_ascii_uppercase()),
        "Dy" => out.push_str(&DAYS[f.weekday][..3]),
        "dy" => out.push_str(&DAYS[f.weekday][..3].to_ascii_lowercase()),
        "DDD" | "ddd" => number(f.day_of_year, 3, out),
        "DD" | "dd" => number(i64::from(f.day), 2, out),
        "D" | "d" => number(f.weekday as i64 + 1, 1, out),
        "W" | "w" => number((i64::from(f.day) - 1) / 7 + 1, 1, out),
        "WW" | "ww" => number((f.day_of_year - 1) / 7 + 1, 2, out),
        "Q" | "q" => number((i64::from(f.month) - 1) / 3 + 1, 1, out),
        "TZ" | "tz" => match &f.abbreviation {
            Abbreviation::None => {}
            Abbreviation::Known(text) if keyword == "tz" => {
                out.push_str(&text.to_ascii_lowercase())
            }
            Abbreviation::Known(text) => out.push_str(text),
            Abbreviation::Unknown => {
                return Err(TypeError::Unsupported(
                    "to_char's TZ under a time zone set as an offset (use OF)".into(),
                ))
            }
        },
        "TZH" | "tzh" => {
            let sign = if f.offset < 0 { '-' } else { '+' };
            out.push_str(&format!("{sign}{:02}", f.offset.abs() / 3600));
        }
        "TZM" | "tzm" => out.push_str(&format!("{:02}", f.offset.abs() / 60 % 60)),
        "OF" | "of" => {
            let sign = if f.offset < 0 { '-' } else { '+' };
            let (hours, minutes) = (f.offset.abs() / 3600, f.offset.abs() / 60 % 60);
            out.push_str(&format!("{sign}{hours:02}"));
            if minutes != 0 {
                out.push_str(&format!(":{minutes:02}"));
            }
        }
        other => {
            return Err(TypeError::Unsupported(format!(
                "the to_char template pattern {other}"
            )))
        }
    }
    Ok(())
}

/// English ordinal suffix of `n` (`st`, `nd`, `rd`, `th`; `TH` etc. `upper`).
fn ordinal_suffix(n: i64, upper: bool) -> String {
    let suffix = match (n % 100, n % 10) {
        (11..=13, _) => "th",
        (_, 1) => "st",
        (_, 2) => "nd",
        (_, 3) => "rd",
        _ => "th",
    };
    if upper {
        suffix.to_ascii_uppercase()
    } else {
        suffix.to_owned()
    }
}
