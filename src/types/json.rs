//! jsonb's normalized text: what PostgreSQL prints for a jsonb value.
//!
//! A `Value::Jsonb` holds this text, so equality and hashing of the text are
//! equality of the documents. PostgreSQL's jsonb normal form is: object keys sorted
//! by (length, bytes) with the last of duplicate keys kept; `", "` between elements
//! and `": "` after keys; numbers printed as numerics with their scale (`1e2` is
//! `100`, `1.50` stays); strings re-escaped (only `"`, `\` and control characters).
//! A small parser of our own does this because serde_json's default maps neither keep
//! number text nor sort keys this way.

use super::numeric::split_decimal;
use super::TypeError;

/// Deeper nesting is refused; PostgreSQL's limit comes from its stack size.
const MAX_DEPTH: usize = 1000;

/// A parsed JSON document with numbers already in normalized text.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    /// Keys sorted as jsonb sorts them, unique.
    Object(Vec<(String, Json)>),
}

/// Parses JSON text and returns jsonb's normalized text (22P02 if it is not JSON).
pub fn normalize_jsonb(text: &str) -> Result<String, TypeError> {
    let json = parse_json(text)?;
    let mut out = String::with_capacity(text.len());
    json.write(&mut out);
    Ok(out)
}

/// Parses JSON text into a document.
pub fn parse_json(text: &str) -> Result<Json, TypeError> {
    parse(text, true, true)
}

/// Checks that `text` is JSON, as the json type's input does: jsonb's grammar
/// and messages (22P02), but a `\u` escape needs only its four hex digits
/// (`\u0000` and a lone surrogate are kept as written; they fail only where
/// a string is decoded, as in PostgreSQL).
pub fn check_json(text: &str) -> Result<(), TypeError> {
    parse(text, false, false).map(drop)
}

/// Checks that every string of the JSON document `text` decodes, as
/// PostgreSQL's walk of a json document does before an operator answers:
/// 22P05 for `\u0000`, 22P02 for a lone surrogate.
pub fn check_json_strings(text: &str) -> Result<(), TypeError> {
    parse(text, true, false).map(drop)
}

fn parse(text: &str, decode: bool, normalize_numbers: bool) -> Result<Json, TypeError> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        pos: 0,
        decode,
        normalize_numbers,
    };
    let v = p.value(0)?;
    p.skip_ws();
    if p.pos < p.s.len() {
        return Err(p.unexpected("end of input"));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    /// False when only checking (json): `\u` escapes are not decoded.
    decode: bool,
    /// False when the document built is thrown away: numbers are kept as
    /// written, not normalized (which can overflow).
    normalize_numbers: bool,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && matches!(self.s[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    fn error(detail: String) -> TypeError {
        TypeError::InvalidJson { detail }
    }

    /// PostgreSQL's detail for a token that does not fit the grammar.
    fn unexpected(&self, expected: &str) -> TypeError {
        if self.pos >= self.s.len() {
            return Self::error("The input string ended unexpectedly.".to_owned());
        }
        let token = self.token_text();
        Self::error(format!("Expected {expected}, but found \"{token}\"."))
    }

    fn token_text(&self) -> &str {
        let rest = &self.text[self.pos..];
        let end = rest
            .find(|c: char| !c.is_alphanumeric() && c != '.' && c != '-' && c != '+')
            .unwrap_or(rest.len())
            .max(rest.chars().next().map_or(0, char::len_utf8));
        &rest[..end]
    }

    fn value(&mut self, depth: usize) -> Result<Json, TypeError> {
        if depth > MAX_DEPTH {
            return Err(Self::error("JSON nesting is too deep.".to_owned()));
        }
        self.skip_ws();
        match self.s.get(self.pos) {
            None => Err(self.unexpected("JSON value")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => self.word(),
        }
    }

    fn word(&mut self) -> Result<Json, TypeError> {
        let token = self.token_text().to_owned();
        let v = match token.as_str() {
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            "null" => Json::Null,
            _ => return Err(Self::error(format!("Token \"{token}\" is invalid."))),
        };
        self.pos += token.len();
        Ok(v)
    }

    fn number(&mut self) -> Result<Json, TypeError> {
        let token = self.token_text().to_owned();
        let strict = token.strip_prefix('-').unwrap_or(&token);
        let leading_zero =
            strict.len() > 1 && strict.starts_with('0') && strict.as_bytes()[1].is_ascii_digit();
        let bad_point = strict.starts_with('.')
            || strict.contains(".e")
            || strict.contains(".E")
            || strict.ends_with('.');
        let parts = split_decimal(&token)
            .filter(|_| !leading_zero && !bad_point && !token.starts_with('+'));
        let parts = parts.ok_or_else(|| Self::error(format!("Token \"{token}\" is invalid.")))?;
        self.pos += token.len();
        if !self.normalize_numbers {
            return Ok(Json::Number(token));
        }
        Ok(Json::Number(parts.to_plain()?))
    }

    fn array(&mut self, depth: usize) -> Result<Json, TypeError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.s.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.s.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.unexpected("\",\" or \"]\"")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, TypeError> {
        self.pos += 1;
        let mut members: Vec<(String, Json)> = Vec::new();
        self.skip_ws();
        if self.s.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_ws();
            if self.s.get(self.pos) != Some(&b'"') {
                return Err(self.unexpected("string"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.s.get(self.pos) != Some(&b':') {
                return Err(self.unexpected("\":\""));
            }
            self.pos += 1;
            let value = self.value(depth + 1)?;
            members.push((key, value));
            self.skip_ws();
            match self.s.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(sort_members(members)));
                }
                _ => return Err(self.unexpected("\",\" or \"}\"")),
            }
        }
    }

    /// A string literal after its opening quote; escapes decoded.
    fn string(&mut self) -> Result<String, TypeError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.pos..];
            let Some(i) = rest.find(['"', '\\']).filter(|_| !rest.is_empty()) else {
                return Err(Self::error(
                    "The input string ended unexpectedly.".to_owned(),
                ));
            };
            let chunk = &rest[..i];
            if chunk.bytes().any(|b| b < 0x20) {
                return Err(Self::error(
                    "Character with value 0x0a must be escaped.".to_owned(),
                ));
            }
            out.push_str(chunk);
            self.pos += i + 1;
            if rest.as_bytes()[i] == b'"' {
                return Ok(out);
            }
            self.escape(&mut out)?;
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), TypeError> {
        let c = *self
            .s
            .get(self.pos)
            .ok_or_else(|| Self::error("The input string ended unexpectedly.".to_owned()))?;
        self.pos += 1;
        let decoded = match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' if !self.decode => {
                self.hex4()?;
                char::REPLACEMENT_CHARACTER
            }
            b'u' => self.unicode_escape()?,
            _ => return Err(Self::error("Escape sequence is invalid.".to_owned())),
        };
        out.push(decoded);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, TypeError> {
        let hex = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
        let hex = hex.ok_or_else(|| {
            Self::error("\"\\u\" must be followed by four hexadecimal digits.".to_owned())
        })?;
        self.pos += 4;
        u32::from_str_radix(hex, 16).map_err(|_| Self::error("bad \\u escape".to_owned()))
    }

    /// `\uXXXX`, joining UTF-16 surrogate pairs; `\u0000` is 22P05 as in PostgreSQL.
    fn unicode_escape(&mut self) -> Result<char, TypeError> {
        let first = self.hex4()?;
        if first == 0 {
            return Err(TypeError::UntranslatableCharacter {
                detail: "\\u0000 cannot be converted to text.".to_owned(),
            });
        }
        let code = if (0xD800..0xDC00).contains(&first) {
            if self.s.get(self.pos..self.pos + 2) != Some(b"\\u") {
                return Err(Self::error(
                    "Unicode high surrogate must not be followed by another high surrogate."
                        .to_owned(),
                ));
            }
            self.pos += 2;
            let low = self.hex4()?;
            if !(0xDC00..0xE000).contains(&low) {
                return Err(Self::error(
                    "Unicode low surrogate must follow a high surrogate.".to_owned(),
                ));
            }
            0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00)
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| {
            Self::error("Unicode low surrogate must follow a high surrogate.".to_owned())
        })
    }
}

/// jsonb key order: shorter keys first, then bytewise; the last duplicate wins.
fn sort_members(members: Vec<(String, Json)>) -> Vec<(String, Json)> {
    let mut indexed: Vec<(usize, (String, Json))> = members.into_iter().enumerate().collect();
    indexed.sort_by(|(ia, (a, _)), (ib, (b, _))| {
        (a.len(), a.as_bytes())
            .cmp(&(b.len(), b.as_bytes()))
            .then(ib.cmp(ia))
    });
    let mut out: Vec<(String, Json)> = Vec::with_capacity(indexed.len());
    for (_, (k, v)) in indexed {
        if out.last().is_none_or(|(last, _)| *last != k) {
            out.push((k, v));
        }
    }
    out
}

impl Json {
    /// Writes jsonb's output format.
    pub fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n),
            Json::String(s) => write_json_string(out, s),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_json_string(out, k);
                    out.push_str(": ");
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// Quotes a string as PostgreSQL's `escape_json`.
pub fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The normal form matches PostgreSQL 15's jsonb output for the same input.
    #[test]
    fn matches_postgres_output() {
        let input = r#"{"b": 1, "aa": [1,2], "a": {"z":1e2, "y": 1.50, "x": -0, "w": 1E-3}, "b": "\u0041\n/é"}"#;
        let want =
            r#"{"a": {"w": 0.001, "x": 0, "y": 1.50, "z": 100}, "b": "A\n/é", "aa": [1, 2]}"#;
        assert_eq!(normalize_jsonb(input).unwrap(), want);
        assert_eq!(normalize_jsonb(" [ ] ").unwrap(), "[]");
        assert_eq!(normalize_jsonb("{}").unwrap(), "{}");
        assert_eq!(normalize_jsonb("\"\\ud83d\\ude00\"").unwrap(), "\"😀\"");
    }

    /// Malformed documents are 22P02 and `\u0000` is 22P05, as in PostgreSQL.
    #[test]
    fn rejects_bad_json() {
        for bad in [
            "{",
            "[1,]",
            "01",
            "+1",
            "1.",
            ".5",
            "tru",
            "{\"a\" 1}",
            "[1] x",
            "\"a\nb\"",
        ] {
            assert!(
                matches!(normalize_jsonb(bad), Err(TypeError::InvalidJson { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            normalize_jsonb("\"\\u0000\""),
            Err(TypeError::UntranslatableCharacter { .. })
        ));
    }
}
