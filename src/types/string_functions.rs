//! Bodies of the text functions, with PostgreSQL's edge cases: positions count
//! characters from 1, negative counts in `left`/`right`/`split_part` count from the
//! end, `lpad`/`rpad` truncate, out-of-range substrings are empty, not errors.

use super::{TimeZone, TypeError, Value};

/// The largest string a function may build, PostgreSQL's 1 GB field limit.
const MAX_STRING_BYTES: usize = (1 << 30) - 1;

/// 54000, as PostgreSQL refuses a value over its 1 GiB allocation limit.
fn too_large() -> TypeError {
    TypeError::ProgramLimitExceeded("requested length too large".to_owned())
}

/// A character in lower case as PostgreSQL maps it: one character for one, as the
/// C library's `towlower` does (`İ` is `i`, and a final `Σ` is `σ`), not Unicode's
/// full mapping of whole strings.
pub fn lower_char(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// A character in upper case as PostgreSQL maps it: one character for one, so a
/// character whose upper case is two (`ß`, `ﬀ`) stays as it is.
pub fn upper_char(c: char) -> char {
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// `lower`.
pub fn lower(s: &str) -> String {
    s.chars().map(lower_char).collect()
}

/// `upper`.
pub fn upper(s: &str) -> String {
    s.chars().map(upper_char).collect()
}

/// `initcap`: the first letter of each run of letters and digits upper case, the
/// rest lower case.
pub fn initcap(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_word = false;
    for c in s.chars() {
        out.push(if in_word {
            lower_char(c)
        } else {
            upper_char(c)
        });
        in_word = c.is_alphanumeric();
    }
    out
}

/// `concat`: the text of every non-NULL argument (booleans as `t`/`f`, the output
/// function, unlike a `::text` cast).
pub fn concat<'a>(args: impl Iterator<Item = &'a Value>) -> String {
    let mut out = String::new();
    for v in args {
        v.write_text(&mut out, &TimeZone::Utc);
    }
    out
}

/// `concat_ws`: the non-NULL arguments joined by the separator.
pub fn concat_ws(sep: &str, args: &[Value]) -> String {
    let mut out = String::new();
    for (i, v) in args.iter().filter(|v| !v.is_null()).enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        v.write_text(&mut out, &TimeZone::Utc);
    }
    out
}

/// `substring(s, start [, count])`: characters `start .. start+count-1` that exist;
/// 22011 for a negative count.
pub fn substring(s: &str, start: i64, count: Option<i64>) -> Result<String, TypeError> {
    let end = match count {
        Some(n) if n < 0 => {
            return Err(TypeError::SubstringError(
                "negative substring length not allowed".to_owned(),
            ));
        }
        Some(n) => start.saturating_add(n),
        None => i64::MAX,
    };
    let first = start.max(1);
    if end <= first {
        return Ok(String::new());
    }
    let skip = usize::try_from(first - 1).unwrap_or(usize::MAX);
    let take = usize::try_from(end - first).unwrap_or(usize::MAX);
    Ok(s.chars().skip(skip).take(take).collect())
}

/// `strpos(s, sub)`: 1-based character position of the first match, 0 if none.
pub fn strpos(s: &str, sub: &str) -> i32 {
    match s.find(sub) {
        Some(byte) => s[..byte].chars().count() as i32 + 1,
        None => 0,
    }
}

/// `replace(s, from, to)`; an empty `from` leaves the string as it is.
pub fn replace(s: &str, from: &str, to: &str) -> String {
    if from.is_empty() {
        s.to_owned()
    } else {
        s.replace(from, to)
    }
}

/// `btrim`/`ltrim`/`rtrim`: removes any of `chars` from the chosen ends.
pub fn trim(s: &str, chars: &str, leading: bool, trailing: bool) -> String {
    let strip = |c: char| chars.contains(c);
    let s = if leading {
        s.trim_start_matches(strip)
    } else {
        s
    };
    let s = if trailing {
        s.trim_end_matches(strip)
    } else {
        s
    };
    s.to_owned()
}

/// `left(s, n)`: the first n characters, or all but the last |n| when n < 0.
pub fn left(s: &str, n: i64) -> String {
    let len = s.chars().count() as i64;
    let take = if n >= 0 { n } else { (len + n).max(0) };
    s.chars().take(take as usize).collect()
}

/// `right(s, n)`: the last n characters, or all but the first |n| when n < 0.
pub fn right(s: &str, n: i64) -> String {
    let len = s.chars().count() as i64;
    let skip = if n >= 0 {
        (len - n).max(0)
    } else {
        (-n).min(len)
    };
    s.chars().skip(skip as usize).collect()
}

/// `lpad`/`rpad`: pads with `fill` repeated, or truncates, to `len` characters.
pub fn pad(s: &str, len: i64, fill: &str, on_left: bool) -> Result<String, TypeError> {
    let len = usize::try_from(len).unwrap_or(0);
    if len.saturating_mul(4) > MAX_STRING_BYTES {
        return Err(too_large());
    }
    let have = s.chars().count();
    if have >= len || fill.is_empty() {
        return Ok(s.chars().take(len).collect());
    }
    let padding: String = fill.chars().cycle().take(len - have).collect();
    Ok(if on_left {
        padding + s
    } else {
        format!("{s}{padding}")
    })
}

/// `repeat(s, n)`: empty for n <= 0.
pub fn repeat(s: &str, n: i64) -> Result<String, TypeError> {
    let n = usize::try_from(n).unwrap_or(0);
    if s.len().saturating_mul(n) > MAX_STRING_BYTES {
        return Err(too_large());
    }
    Ok(s.repeat(n))
}

/// `split_part(s, delimiter, n)`: the n-th field (negative counts from the end), empty
/// past the last one; 22023 for n = 0. An empty delimiter makes one field.
pub fn split_part(s: &str, delimiter: &str, n: i64) -> Result<String, TypeError> {
    if n == 0 {
        return Err(TypeError::InvalidParameterValue(
            "field position must not be zero".to_owned(),
        ));
    }
    let fields: Vec<&str> = if delimiter.is_empty() {
        vec![s]
    } else {
        s.split(delimiter).collect()
    };
    let index = if n > 0 {
        n - 1
    } else {
        fields.len() as i64 + n
    };
    Ok(usize::try_from(index)
        .ok()
        .and_then(|i| fields.get(i))
        .map_or(String::new(), |f| (*f).to_owned()))
}

/// `chr(code)`: the character with that code point; 0 and invalid code points are
/// refused as in PostgreSQL (22023 / 54000 there).
pub fn chr(code: i64) -> Result<String, TypeError> {
    if code < 0 {
        return Err(TypeError::InvalidParameterValue(
            "character number must be positive".to_owned(),
        ));
    }
    // PostgreSQL's SQLSTATE for a character the encoding cannot hold is 54000.
    let refused = |why: &str| TypeError::ProgramLimitExceeded(format!("{why}: {code}"));
    match code {
        0 => Err(TypeError::ProgramLimitExceeded(
            "null character not permitted".to_owned(),
        )),
        0x11_0000.. => Err(refused("requested character too large for encoding")),
        _ => u32::try_from(code)
            .ok()
            .and_then(char::from_u32)
            .map(String::from)
            .ok_or_else(|| refused("requested character not valid for encoding")),
    }
}
