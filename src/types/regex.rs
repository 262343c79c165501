//! POSIX regular expression matching for `~`, `~*`, `!~` and `!~*`, and
//! `substring(string FROM pattern)`.
//!
//! Patterns are compiled with the `regex` crate, whose syntax agrees with
//! PostgreSQL's advanced regular expressions for what catalog queries and most
//! applications write (anchors, classes, alternation, repetition); back-references
//! and lookaround, which it lacks, are 2201B. A query usually matches every row
//! against one pattern, so the last compiled pattern of each thread is kept.

use std::cell::RefCell;

use regex::{Regex, RegexBuilder};

use super::TypeError;

/// Compiled patterns larger than this are refused (2201B), bounding the memory a
/// statement's pattern can take.
const REGEX_SIZE_BYTES_MAX: usize = 1 << 20;

thread_local! {
    /// The last pattern compiled on this thread: (pattern, case-insensitive, regex).
    static LAST: RefCell<Option<(String, bool, Regex)>> = const { RefCell::new(None) };
}

/// True if `pattern` matches somewhere in `text`.
pub fn matches(text: &str, pattern: &str, case_insensitive: bool) -> Result<bool, TypeError> {
    with_regex(pattern, case_insensitive, |regex| regex.is_match(text))
}

/// `substring(text FROM pattern)`: the part of `text` the first match of `pattern`
/// covers, or the part its first parenthesized subexpression covers if it has
/// one (None if that part took no part in the match); None without a match.
pub fn substring(text: &str, pattern: &str) -> Result<Option<String>, TypeError> {
    with_regex(pattern, false, |regex| {
        let captures = regex.captures(text)?;
        let part = if captures.len() > 1 {
            captures.get(1)
        } else {
            captures.get(0)
        };
        part.map(|m| m.as_str().to_owned())
    })
}

/// Runs `f` with `pattern` compiled (the thread's last pattern, if it is the same).
fn with_regex<T>(
    pattern: &str,
    case_insensitive: bool,
    f: impl FnOnce(&Regex) -> T,
) -> Result<T, TypeError> {
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        let cached = matches!(&*last, Some((p, ci, _)) if p == pattern && *ci == case_insensitive);
        if !cached {
            let regex = RegexBuilder::new(pattern)
                .case_insensitive(case_insensitive)
                .size_limit(REGEX_SIZE_BYTES_MAX)
                .build()
                .map_err(|e| TypeError::InvalidRegex(e.to_string()))?;
            *last = Some((pattern.to_owned(), case_insensitive, regex));
        }
        // Set just above when it was not already.
        let (_, _, regex) = last.as_ref().expect("compiled above");
        Ok(f(regex))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// psql's patterns match as in PostgreSQL; a bad pattern is an error.
    #[test]
    fn psql_patterns() {
        assert!(matches("items", "^(items)$", false).unwrap());
        assert!(!matches("items2", "^(items)$", false).unwrap());
        assert!(matches("pg_toast_1", "^pg_toast", false).unwrap());
        assert!(matches("ITEMS", "^items$", true).unwrap());
        assert!(matches("x", "(", false).is_err());
    }
}
