//! `LIKE` and `ILIKE` pattern matching, as PostgreSQL's `like_match.c`.
//!
//! `%` matches any run of characters, `_` exactly one character, and the escape
//! character (backslash unless `ESCAPE` says otherwise) makes the next pattern
//! character literal. Matching is by characters, not bytes, so `_` matches one
//! `é`. The matcher is the classic two-pointer wildcard algorithm: it remembers
//! only the last `%` and retries from there, so it needs no regex engine and runs in
//! O(text × pattern) at worst, linear for typical patterns.

use super::string_functions::{lower, lower_char};
use super::TypeError;

/// The escape character when a LIKE has no `ESCAPE` clause.
pub const DEFAULT_LIKE_ESCAPE: char = '\\';

/// One compiled pattern element.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Token {
    Literal(char),
    /// `_`
    One,
    /// `%` (consecutive ones are merged)
    Any,
}

/// `text LIKE pattern [ESCAPE escape]`; `escape` is `None` for the default
/// backslash. `case_insensitive` is ILIKE (both sides lowercased, as PostgreSQL
/// does). 22025 if the pattern ends with the escape character.
pub fn like(
    text: &str,
    pattern: &str,
    escape: Option<char>,
    case_insensitive: bool,
) -> Result<bool, TypeError> {
    like_with_escape(
        text,
        pattern,
        Some(escape.unwrap_or(DEFAULT_LIKE_ESCAPE)),
        case_insensitive,
    )
}

/// Like [`like`], but `escape` is exactly the escape character in force: `None`
/// means no escape at all (`ESCAPE ''`).
pub fn like_with_escape(
    text: &str,
    pattern: &str,
    escape: Option<char>,
    case_insensitive: bool,
) -> Result<bool, TypeError> {
    if case_insensitive {
        let tokens = compile(&lower(pattern), escape.map(lower_char))?;
        let text: Vec<char> = text.chars().map(lower_char).collect();
        return Ok(matches(&text, &tokens));
    }
    let tokens = compile(pattern, escape)?;
    let text: Vec<char> = text.chars().collect();
    Ok(matches(&text, &tokens))
}

/// Reads an `ESCAPE` clause: one character, or empty for none; otherwise 22025
/// "invalid escape string" as PostgreSQL says.
pub fn like_escape(clause: &str) -> Result<Option<char>, TypeError> {
    let mut chars = clause.chars();
    match (chars.next(), chars.next()) {
        (None, _) => Ok(None),
        (Some(c), None) => Ok(Some(c)),
        _ => Err(TypeError::InvalidEscapeSequence(
            "invalid escape string".to_owned(),
        )),
    }
}

fn compile(pattern: &str, escape: Option<char>) -> Result<Vec<Token>, TypeError> {
    let mut tokens = Vec::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        let token = if Some(c) == escape {
            let next = chars.next().ok_or_else(|| {
                TypeError::InvalidEscapeSequence(
                    "LIKE pattern must not end with escape character".to_owned(),
                )
            })?;
            Token::Literal(next)
        } else if c == '%' {
            Token::Any
        } else if c == '_' {
            Token::One
        } else {
            Token::Literal(c)
        };
        if !(token == Token::Any && tokens.last() == Some(&Token::Any)) {
            tokens.push(token);
        }
    }
    Ok(tokens)
}

/// Two-pointer wildcard match with backtracking to the last `%` only: a later `%`
/// can absorb anything an earlier one could, so older positions never need a retry.
fn matches(text: &[char], pattern: &[Token]) -> bool {
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(Token::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Token::One) => {
                t += 1;
                p += 1;
            }
            Some(Token::Literal(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    star = Some((sp, st + 1));
                    p = sp + 1;
                    t = st + 1;
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|tok| *tok == Token::Any)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Results match PostgreSQL 15 for the same `SELECT 'text' LIKE 'pattern'`.
    #[test]
    fn like_cases() {
        let cases = [
            ("abc", "abc", true),
            ("abc", "a%", true),
            ("abc", "%c", true),
            ("abc", "_b_", true),
            ("abc", "a_", false),
            ("", "%", true),
            ("", "_", false),
            ("a%c", "a\\%c", true),
            ("abc", "a\\%c", false),
            ("mississippi", "%iss%ppi", true),
            ("mississippi", "m%s_s%i", true),
            ("mississippi", "%x%", false),
            ("été", "_t_", true),
            ("abc", "%%%", true),
            ("a\\b", "a\\\\b", true),
        ];
        for (text, pattern, want) in cases {
            assert_eq!(
                like(text, pattern, None, false),
                Ok(want),
                "{text} LIKE {pattern}"
            );
        }
    }

    /// ILIKE folds case; ESCAPE changes or removes the escape character.
    #[test]
    fn ilike_and_escape() {
        assert_eq!(like("ABC", "a%", None, true), Ok(true));
        assert_eq!(like("ABC", "a%", None, false), Ok(false));
        assert_eq!(like("a_c", "a#_c", Some('#'), false), Ok(true));
        assert_eq!(like("abc", "a#_c", Some('#'), false), Ok(false));
        assert_eq!(like_with_escape("a\\", "a\\", None, false), Ok(true));
        assert_eq!(
            like_escape("ab"),
            Err(TypeError::InvalidEscapeSequence(
                "invalid escape string".into()
            ))
        );
    }

    /// A pattern ending in the escape character is 22025.
    #[test]
    fn trailing_escape() {
        let err = like("a", "a\\", None, false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "LIKE pattern must not end with escape character"
        );
    }

    /// A pathological pattern stays fast (no exponential backtracking).
    #[test]
    fn no_exponential_backtracking() {
        let text = "a".repeat(10_000);
        let pattern = format!("{}b", "%a".repeat(50));
        assert_eq!(like(&text, &pattern, None, false), Ok(false));
    }
}
