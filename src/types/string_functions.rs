//! Bodies of the text functions, with PostgreSQL's edge cases: positions count
//! characters from 1, negative counts in `left`/`right`/`split_part` count from the
//! end, `lpad`/`rpad` truncate, out-of-range substrings are empty, not errors.

use super::text::TextStyle;
use super::{TypeError, Value};

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
/// function, unlike a `::text` cast; a timestamptz in the session's time zone).
pub fn concat<'a>(args: impl Iterator<Item = &'a Value>, style: TextStyle<'_>) -> String {
    let mut out = String::new();
    for v in args {
        v.write_text(&mut out, style);
    }
    out
}

/// `concat_ws`: the non-NULL arguments joined by the separator.
pub fn concat_ws(sep: &str, args: &[Value], style: TextStyle<'_>) -> String {
    let mut out = String::new();
    for (i, v) in args.iter().filter(|v| !v.is_null()).enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        v.write_text(&mut out, style);
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

/// `string_to_array(s, delimiter, null_string)`: the pieces between
/// delimiters (a NULL delimiter splits into characters, an empty one gives the
/// whole string; an empty string gives no pieces), each equal to `null_string`
/// read as NULL.
pub fn string_to_array(s: &str, delimiter: Option<&str>, null_string: Option<&str>) -> Vec<Value> {
    if s.is_empty() {
        return Vec::new();
    }
    let pieces: Vec<&str> = match delimiter {
        None => s
            .char_indices()
            .map(|(i, c)| &s[i..i + c.len_utf8()])
            .collect(),
        Some("") => vec![s],
        Some(delimiter) => s.split(delimiter).collect(),
    };
    pieces
        .into_iter()
        .map(|piece| {
            if Some(piece) == null_string {
                Value::Null
            } else {
                Value::Text(piece.to_owned())
            }
        })
        .collect()
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

/// `quote_literal`: `s` as a string literal: single quotes doubled, and, if it has
/// a backslash, an escape string (`E'…'`) with the backslashes doubled, as
/// PostgreSQL writes it.
pub fn quote_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 3);
    if s.contains('\\') {
        out.push('E');
    }
    out.push('\'');
    for c in s.chars() {
        if c == '\'' || c == '\\' {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// `format(formatstr, args…)`, PostgreSQL's `text_format`: `%[n$][-][width]type`
/// with type `s` (the value's text, NULL as nothing), `I` (an identifier, quoted
/// as `quote_ident` does; NULL is an error) or `L` (a literal, quoted as
/// `quote_literal` does; NULL as `NULL`); `%%` is a percent sign. The width is a
/// number, `*` (the next argument) or `*n$`; `-` or a negative width pads on the
/// right. An argument without `n$` is the one after the last one used.
pub fn format(spec: &str, args: &[Value], style: TextStyle<'_>) -> Result<String, TypeError> {
    let invalid = |message: String| TypeError::InvalidParameterValue(message);
    let mut out = String::with_capacity(spec.len());
    let mut chars = spec.chars().peekable();
    let mut next_arg = 0;
    // The argument at 1-based `position`, or the next one.
    let mut take = |position: Option<usize>| -> Result<&Value, TypeError> {
        let index = position.map_or(next_arg, |p| p - 1);
        next_arg = index + 1;
        args.get(index)
            .ok_or_else(|| invalid("too few arguments for format()".into()))
    };
    let unterminated = || invalid("unterminated format() type specifier".into());
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        let position_of = |n: usize| {
            if n == 0 {
                Err(invalid(
                    "format specifies argument 0, but arguments are numbered from 1".into(),
                ))
            } else {
                Ok(n)
            }
        };
        let mut position = None;
        let mut width: Option<i64> = None;
        let mut left = false;
        // `n$` (a position) or `n` (a width): digits, then see what follows.
        if let Some(n) = number(&mut chars)? {
            if chars.peek() == Some(&'$') {
                chars.next();
                position = Some(position_of(n)?);
            } else {
                width = Some(n as i64);
            }
        }
        if width.is_none() {
            while chars.peek() == Some(&'-') {
                chars.next();
                left = true;
            }
            if chars.peek() == Some(&'*') {
                chars.next();
                let from = match number(&mut chars)? {
                    Some(n) if chars.peek() == Some(&'$') => {
                        chars.next();
                        Some(position_of(n)?)
                    }
                    Some(_) => return Err(unterminated()),
                    None => None,
                };
                width = Some(match take(from)? {
                    Value::Null => 0,
                    v => v.as_i64().ok_or_else(|| {
                        invalid("width argument of format() must be an integer".into())
                    })?,
                });
            } else {
                width = number(&mut chars)?.map(|n| n as i64);
            }
        }
        let kind = chars.next().ok_or_else(unterminated)?;
        if !matches!(kind, 's' | 'I' | 'L') {
            return Err(invalid(format!(
                "unrecognized format() type specifier \"{kind}\""
            )));
        }
        let value = take(position)?;
        let text = match (kind, value) {
            ('s', Value::Null) => String::new(),
            ('I', Value::Null) => {
                return Err(TypeError::NullValueNotAllowed(
                    "null values cannot be formatted as an SQL identifier".into(),
                ))
            }
            ('L', Value::Null) => "NULL".into(),
            (_, v) => {
                let mut text = String::new();
                v.write_text(&mut text, style);
                match kind {
                    'I' => super::functions::quote_ident(&text),
                    'L' => quote_literal(&text),
                    _ => text,
                }
            }
        };
        let width = width.unwrap_or(0);
        let pad = usize::try_from(width.unsigned_abs())
            .unwrap_or(usize::MAX)
            .saturating_sub(text.chars().count());
        if out.len().saturating_add(text.len()).saturating_add(pad) > MAX_STRING_BYTES {
            return Err(too_large());
        }
        if left || width < 0 {
            out.push_str(&text);
            out.extend(std::iter::repeat_n(' ', pad));
        } else {
            out.extend(std::iter::repeat_n(' ', pad));
            out.push_str(&text);
        }
    }
    Ok(out)
}

/// The decimal number at the start of `chars`, consumed; None if there is none,
/// 22003 past an `int`'s range, as PostgreSQL parses format()'s numbers.
fn number(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
) -> Result<Option<usize>, TypeError> {
    let mut n: Option<i32> = None;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        chars.next();
        n = Some(
            n.unwrap_or(0)
                .checked_mul(10)
                .and_then(|n| n.checked_add(d as i32))
                .ok_or_else(|| TypeError::OutOfRange("number is out of range".into()))?,
        );
    }
    Ok(n.map(|n| n as usize))
}
