//! POSIX regular expression matching for `~`, `~*`, `!~` and `!~*`,
//! `substring(string FROM pattern)`, `regexp_replace` and `regexp_match`.
//!
//! PostgreSQL patterns are advanced regular expressions (AREs), whose syntax
//! differs from the `regex` crate's in ways that give silently wrong answers if a
//! pattern is compiled as it is (`\b` is a backspace in an ARE, `.` matches a
//! newline, `a{,2}` is literal text). So a pattern is scanned token by token, as
//! PostgreSQL's own lexer does, and rewritten into `regex` syntax that means the
//! same thing; whatever cannot mean the same thing is refused:
//!
//! - Translated: the `***=` (literal) and `***:` directors and the leading embedded
//!   options `(?bceimnpqstwx)`, expanded syntax (`x`, with `#` comments and the
//!   `(?#...)` comment), the newline modes (`.` and `[^...]` match a newline unless
//!   `n`/`p` is given; `^`/`$` match at lines with `n`/`w`), all character-entry
//!   escapes (`\b` backspace, `\B` backslash, octal `\141`, `\x41`, `\u0041`,
//!   `\U00000041`, `\cX`, ...), class shorthands, the constraints `\A \Z \m \M \y \Y`
//!   and `[[:<:]]`/`[[:>:]]`, bracket expressions (`[]a]`, `[[]`, classes,
//!   collating elements `[.hyphen.]`, equivalence classes `[=a=]`), bounds (a `{`
//!   not followed by a digit is a literal `{`), greedy and non-greedy quantifiers,
//!   and capturing / non-capturing groups (group numbers are kept, so
//!   `substring` captures the same group).
//! - Character classes, word characters and case folding follow PostgreSQL under
//!   `LC_CTYPE` "C": `\d`, `\w`, `[[:alpha:]]` and friends hold ASCII characters
//!   only (`[[:cntrl:]]` also U+0080..U+009F), and `~*` folds ASCII letters only.
//!   The translation spells every class out as code point ranges and folds case
//!   itself, so the `regex` crate's Unicode classes and case folding are never
//!   used. This is a known difference from a database whose ctype is a UTF-8
//!   locale, where PostgreSQL's classes and `~*` take the C library's wide
//!   characters (`'é' ~ '\w'` is true there, false here), and from Turnstile's own
//!   `lower`, `upper` and `ILIKE`, which map case as such a locale does. `\d` is
//!   ASCII under both.
//! - Refused with 0A000 (feature_not_supported), because the `regex` crate has no
//!   equivalent: back-references (`\1`), lookahead and lookbehind constraints
//!   (`(?=`, `(?!`, `(?<=`, `(?<!`), and the basic/extended syntaxes selected by the
//!   embedded options `b` and `e`. The whole pattern is checked first, so a pattern
//!   PostgreSQL rejects is still 2201B (invalid_regular_expression), with
//!   PostgreSQL's message.
//!
//! `substring`, `regexp_replace` and `regexp_match` report what a match covers,
//! which the `regex` crate and PostgreSQL decide differently (`x|xy` matches `x`
//! in one and `xy` in the other): the `regex` crate finds where the leftmost
//! match starts, and `dissect` applies PostgreSQL's rules from there. For it the
//! translation also carries the preferences the `regex` crate's syntax tree
//! would lose, in named groups and empty markers that change no match (see
//! `dissect`'s module doc). Whether a pattern matches (`~`) does not depend on
//! them.
//!
//! A query usually matches every row against one pattern, or a few, so each
//! thread keeps the last [`PATTERNS_KEPT`] patterns it translated and compiled.

mod dissect;

use std::cell::{OnceCell, RefCell};

use regex::{Regex, RegexBuilder};

use self::dissect::{Rules, Span};
use super::{TypeError, Value};

/// Compiled patterns larger than this are refused (2201B), bounding the memory a
/// statement's pattern can take.
const REGEX_SIZE_BYTES_MAX: usize = 1 << 20;

/// Compiled patterns each thread keeps: enough for an expression that nests a
/// few regular expression functions, evaluated row after row.
const PATTERNS_KEPT: usize = 4;

thread_local! {
    /// The last patterns compiled on this thread, the most recently used first.
    static RECENT: RefCell<Vec<Compiled>> = const { RefCell::new(Vec::new()) };
}

/// A pattern, translated and compiled.
struct Compiled {
    pattern: String,
    case_insensitive: bool,
    translated: String,
    /// How many groups the pattern has.
    groups: usize,
    /// Whether it matches, and where the leftmost match starts.
    regex: Regex,
    /// What a match covers, built the first time a function asks.
    rules: OnceCell<Result<Rules, TypeError>>,
}

impl Compiled {
    /// The match PostgreSQL finds in `text` at or after `from`: its span, and
    /// those of its groups if `groups` (else only the whole match's).
    fn find_at(
        &self,
        text: &str,
        from: usize,
        groups: bool,
    ) -> Result<Option<Vec<Option<Span>>>, TypeError> {
        let Some(leftmost) = self.regex.find_at(text, from) else {
            return Ok(None);
        };
        let rules = self
            .rules
            .get_or_init(|| Rules::new(&self.translated, self.groups))
            .as_ref()
            .map_err(Clone::clone)?;
        let whole = rules.whole(text, leftmost.start());
        Ok(Some(if groups {
            rules.groups(text, whole)?
        } else {
            vec![Some(whole)]
        }))
    }

    /// Calls `f` with each match in `text` from byte `from` on (its spans, as
    /// [`Compiled::find_at`] gives them) until it returns false. PostgreSQL's
    /// loop, not the regex crate's iterator: after a match the search goes on
    /// from its end, where an empty match may follow a non-empty one
    /// (`regexp_replace('baaac', 'a*', '-', 'g')` is `-b--c-`); after an
    /// empty match, one character on.
    fn each_match(
        &self,
        text: &str,
        from: usize,
        groups: bool,
        mut f: impl FnMut(&[Option<Span>]) -> bool,
    ) -> Result<(), TypeError> {
        let mut from = from;
        while from <= text.len() {
            let Some(spans) = self.find_at(text, from, groups)? else {
                break;
            };
            let (start, end) = spans[0].expect("group 0 is the match");
            if !f(&spans) {
                break;
            }
            from = if start == end {
                match text[end..].chars().next() {
                    Some(c) => end + c.len_utf8(),
                    None => break,
                }
            } else {
                end
            };
        }
        Ok(())
    }
}

/// True if `pattern` matches somewhere in `text`.
pub fn matches(text: &str, pattern: &str, case_insensitive: bool) -> Result<bool, TypeError> {
    with_regex(pattern, case_insensitive, |compiled| {
        Ok(compiled.regex.is_match(text))
    })
}

/// `substring(text FROM pattern)`: the part of `text` the first match of `pattern`
/// covers, or the part its first parenthesized subexpression covers if it has
/// one (None if that part took no part in the match); None without a match.
pub fn substring(text: &str, pattern: &str) -> Result<Option<String>, TypeError> {
    with_regex(pattern, false, |compiled| {
        let has_groups = compiled.groups > 0;
        let Some(spans) = compiled.find_at(text, 0, has_groups)? else {
            return Ok(None);
        };
        let part = spans[usize::from(has_groups)];
        Ok(part.map(|(start, end)| text[start..end].to_owned()))
    })
}

/// `regexp_replace(text, pattern, replacement, flags)`: the first match of
/// `pattern`, or with flag `g` every one, replaced by `replacement`, in which
/// `\1`…`\9` stand for a group's text (empty if it took no part), `\&` for the
/// whole match and `\\` for a backslash; any other backslash stays.
pub fn replace(
    text: &str,
    pattern: &str,
    replacement: &str,
    flags: &str,
) -> Result<String, TypeError> {
    let (global, case_insensitive) = read_flags(flags, None)?;
    // Only a replacement that names a group needs the groups' spans.
    let names_groups = replacement
        .as_bytes()
        .windows(2)
        .any(|pair| pair[0] == b'\\' && pair[1].is_ascii_digit());
    with_regex(pattern, case_insensitive, |compiled| {
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        compiled.each_match(text, 0, names_groups, |spans| {
            let (start, end) = spans[0].expect("group 0 is the match");
            let whole = &text[start..end];
            let group = |n: usize| {
                spans
                    .get(n)
                    .copied()
                    .flatten()
                    .map_or("", |(start, end)| &text[start..end])
            };
            out.push_str(&text[copied..start]);
            let mut chars = replacement.chars().peekable();
            while let Some(c) = chars.next() {
                if c != '\\' {
                    out.push(c);
                    continue;
                }
                match chars.peek() {
                    Some(&d @ '1'..='9') => {
                        chars.next();
                        out.push_str(group(d.to_digit(10).expect("a digit") as usize));
                    }
                    Some('&') => {
                        chars.next();
                        out.push_str(whole);
                    }
                    Some('\\') => {
                        chars.next();
                        out.push('\\');
                    }
                    _ => out.push('\\'),
                }
            }
            copied = end;
            global
        })?;
        out.push_str(&text[copied..]);
        Ok(out)
    })
}

/// `regexp_count(text, pattern[, start[, flags]])`: how many matches there
/// are from character `start` (1-based) on, found one after another as
/// `regexp_replace` with `g` finds them.
pub fn count(text: &str, pattern: &str, start: i64, flags: &str) -> Result<i32, TypeError> {
    let (_, case_insensitive) = read_flags(flags, Some("regexp_count"))?;
    let Some(from) = char_offset(text, start)? else {
        return Ok(0);
    };
    with_regex(pattern, case_insensitive, |compiled| {
        let mut matches = 0i32;
        compiled.each_match(text, from, false, |_| {
            matches = matches.saturating_add(1);
            true
        })?;
        Ok(matches)
    })
}

/// `regexp_like(text, pattern[, flags])`: whether `pattern` matches.
pub fn like(text: &str, pattern: &str, flags: &str) -> Result<bool, TypeError> {
    let (_, case_insensitive) = read_flags(flags, Some("regexp_like"))?;
    matches(text, pattern, case_insensitive)
}

/// `regexp_split_to_array(text, pattern[, flags])` (or `_to_table`, the
/// `function` named in errors): the text between the matches. As in
/// PostgreSQL, an empty match at the start or the end of the text, or right
/// after the previous match, splits nothing.
pub fn split(
    text: &str,
    pattern: &str,
    flags: &str,
    function: &str,
) -> Result<Vec<Value>, TypeError> {
    let (_, case_insensitive) = read_flags(flags, Some(function))?;
    with_regex(pattern, case_insensitive, |compiled| {
        let mut parts = Vec::new();
        let mut piece_start = 0;
        compiled.each_match(text, 0, false, |spans| {
            let (start, end) = spans[0].expect("group 0 is the match");
            if start < text.len() && end > piece_start {
                parts.push(Value::Text(text[piece_start..start].to_owned()));
                piece_start = end;
            }
            true
        })?;
        parts.push(Value::Text(text[piece_start..].to_owned()));
        Ok(parts)
    })
}

/// The byte offset of character `start` (1-based) of `text`; None past its
/// end; 22023 below 1, as PostgreSQL says.
fn char_offset(text: &str, start: i64) -> Result<Option<usize>, TypeError> {
    if start < 1 {
        return Err(TypeError::InvalidParameterValue(format!(
            "invalid value for parameter \"start\": {start}"
        )));
    }
    let skip = usize::try_from(start - 1).unwrap_or(usize::MAX);
    Ok(text
        .char_indices()
        .map(|(offset, _)| offset)
        .chain(std::iter::once(text.len()))
        .nth(skip))
}

/// `regexp_substr(text, pattern[, start[, n[, flags[, subexpr]]]])`: the text
/// of the `n`th match from character `start` on (found one after another as
/// `regexp_replace` with `g` finds them), or of its group `subexpr`; None
/// without one, or if that group took no part.
pub fn substr(
    text: &str,
    pattern: &str,
    start: i64,
    n: i64,
    flags: &str,
    subexpr: i64,
) -> Result<Option<String>, TypeError> {
    let span = nth_match_span(text, pattern, start, n, flags, subexpr, "regexp_substr")?;
    Ok(span.map(|(start, end)| text[start..end].to_owned()))
}

/// `regexp_instr(text, pattern[, start[, n[, endoption[, flags[, subexpr]]]]])`:
/// where the match [`substr`] would return begins (`endoption` 0), or the
/// character after its end (1), counted in characters from 1; 0 without one.
pub fn instr(
    text: &str,
    pattern: &str,
    start: i64,
    n: i64,
    end_option: i64,
    flags: &str,
    subexpr: i64,
) -> Result<i32, TypeError> {
    // PostgreSQL checks the arguments in their order.
    char_offset(text, start)?;
    if n < 1 {
        return Err(TypeError::InvalidParameterValue(format!(
            "invalid value for parameter \"n\": {n}"
        )));
    }
    if !(0..=1).contains(&end_option) {
        return Err(TypeError::InvalidParameterValue(format!(
            "invalid value for parameter \"endoption\": {end_option}"
        )));
    }
    let span = nth_match_span(text, pattern, start, n, flags, subexpr, "regexp_instr")?;
    Ok(span.map_or(0, |(start, end)| {
        let at = if end_option == 0 { start } else { end };
        i32::try_from(text[..at].chars().count() + 1).unwrap_or(i32::MAX)
    }))
}

/// The span of group `subexpr` (0: the whole match) of the `n`th match of
/// `pattern` in `text` from character `start` on: what `regexp_substr` and
/// `regexp_instr` (`function`, named in errors) report.
fn nth_match_span(
    text: &str,
    pattern: &str,
    start: i64,
    n: i64,
    flags: &str,
    subexpr: i64,
    function: &str,
) -> Result<Option<Span>, TypeError> {
    let invalid = |parameter: &str, value: i64| {
        TypeError::InvalidParameterValue(format!(
            "invalid value for parameter \"{parameter}\": {value}"
        ))
    };
    let from = char_offset(text, start)?;
    if n < 1 {
        return Err(invalid("n", n));
    }
    let group = usize::try_from(subexpr).map_err(|_| invalid("subexpr", subexpr))?;
    let (_, case_insensitive) = read_flags(flags, Some(function))?;
    let Some(from) = from else {
        return Ok(None);
    };
    with_regex(pattern, case_insensitive, |compiled| {
        let mut seen = 0;
        let mut found = None;
        compiled.each_match(text, from, group > 0, |spans| {
            seen += 1;
            if seen == n {
                found = spans.get(group).copied().flatten();
                return false;
            }
            true
        })?;
        Ok(found)
    })
}

/// `regexp_matches(text, pattern[, flags])`: each match's groups (as
/// `regexp_match` gives the first's), one row each; the first only, unless
/// `flags` has `g`.
pub fn all_matches(text: &str, pattern: &str, flags: &str) -> Result<Vec<Value>, TypeError> {
    let (global, case_insensitive) = read_flags(flags, None)?;
    with_regex(pattern, case_insensitive, |compiled| {
        let has_groups = compiled.groups > 0;
        let mut rows = Vec::new();
        compiled.each_match(text, 0, has_groups, |spans| {
            rows.push(Value::Array(match_groups(text, spans, has_groups)));
            global
        })?;
        Ok(rows)
    })
}

/// A match's parenthesized groups' text (NULL for one that took no part), or
/// the whole match's if the pattern has none.
fn match_groups(text: &str, spans: &[Option<Span>], has_groups: bool) -> Vec<Value> {
    spans
        .iter()
        .skip(usize::from(has_groups))
        .map(|span| {
            span.map_or(Value::Null, |(start, end)| {
                Value::Text(text[start..end].into())
            })
        })
        .collect()
}

/// `regexp_match(text, pattern, flags)`: the first match's parenthesized
/// groups (NULL for one that took no part), or the whole match if there are
/// none; None without a match.
pub fn first_match(
    text: &str,
    pattern: &str,
    flags: &str,
) -> Result<Option<Vec<Value>>, TypeError> {
    let (_, case_insensitive) = read_flags(flags, Some("regexp_match"))?;
    with_regex(pattern, case_insensitive, |compiled| {
        let has_groups = compiled.groups > 0;
        let Some(spans) = compiled.find_at(text, 0, has_groups)? else {
            return Ok(None);
        };
        Ok(Some(match_groups(text, &spans, has_groups)))
    })
}

/// `similar_to_escape(pattern, escape)`: a `SIMILAR TO` pattern as the ARE
/// PostgreSQL matches it with (`x SIMILAR TO p` is `x ~ similar_to_escape(p)`),
/// written as PostgreSQL writes it, so that what a match covers is the same:
/// anchored at both ends, `%` and `_` as `.*` and `.`, a group not capturing,
/// `.`, `^`, `$` and a backslash literal, an escaped character literal, and
/// the two escape-double-quote separators of `substring(… SIMILAR …)` cutting
/// the pattern into a shortest-matching first part, the captured middle and
/// a last part. `escape` is one character, empty for none, or None for the
/// default backslash.
pub fn similar_to_escape(pattern: &str, escape: Option<&str>) -> Result<String, TypeError> {
    let escape = match escape {
        None => Some('\\'),
        Some(clause) => super::like::like_escape(clause)?,
    };
    let mut out = String::with_capacity(pattern.len() + 16);
    out.push_str("^(?:");
    let mut after_escape = false;
    let mut separators = 0;
    // Inside a bracket expression: how deep, and where in it (1 just after
    // `[`, 2 after `[^`, 3 past the point where `]` would be literal).
    let (mut bracket_depth, mut bracket_position) = (0usize, 0usize);
    for c in pattern.chars() {
        if after_escape {
            after_escape = false;
            if c == '"' && bracket_depth == 0 {
                out.push_str(match separators {
                    0 => "){1,1}?(",
                    1 => "){1,1}(?:",
                    _ => {
                        return Err(TypeError::InvalidUseOfEscapeCharacter(
                            "SQL regular expression may not contain more than two \
                             escape-double-quote separators"
                                .into(),
                        ))
                    }
                });
                separators += 1;
            } else {
                out.push('\\');
                out.push(c);
                bracket_position = 3;
            }
        } else if Some(c) == escape {
            after_escape = true;
        } else if bracket_depth > 0 {
            if c == '\\' {
                out.push('\\');
            }
            out.push(c);
            match c {
                ']' if bracket_position > 2 => bracket_depth -= 1,
                '[' => {
                    bracket_depth += 1;
                    bracket_position = 3;
                }
                '^' => bracket_position += 1,
                _ => bracket_position = 3,
            }
        } else {
            match c {
                '[' => {
                    out.push('[');
                    bracket_depth = 1;
                    bracket_position = 1;
                }
                '%' => out.push_str(".*"),
                '_' => out.push('.'),
                '(' => out.push_str("(?:"),
                '\\' | '.' | '^' | '$' => {
                    out.push('\\');
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
    }
    out.push_str(")$");
    Ok(out)
}

/// The flags of a regular expression function: whether `g` was given, and
/// whether the match ignores case (`i`; `c` undoes it). `g` is 22023 for the
/// function `refuses_global` names (all but `regexp_replace`); PostgreSQL's
/// other options are 0A000 here, anything else 22023.
fn read_flags(flags: &str, refuses_global: Option<&str>) -> Result<(bool, bool), TypeError> {
    let (mut global, mut case_insensitive) = (false, false);
    for flag in flags.chars() {
        match flag {
            'g' => match refuses_global {
                None => global = true,
                Some(function) => {
                    return Err(TypeError::InvalidParameterValue(format!(
                        "{function}() does not support the \"global\" option"
                    )))
                }
            },
            'i' => case_insensitive = true,
            'c' => case_insensitive = false,
            // PostgreSQL's defaults: newline-insensitive, tight syntax.
            's' | 't' => {}
            'b' | 'e' | 'm' | 'n' | 'p' | 'q' | 'w' | 'x' => {
                return Err(TypeError::Unsupported(format!(
                    "the regular expression option \"{flag}\" in a function's flags"
                )))
            }
            other => {
                return Err(TypeError::InvalidParameterValue(format!(
                    "invalid regular expression option: \"{other}\""
                )))
            }
        }
    }
    Ok((global, case_insensitive))
}

/// Runs `f` with `pattern` translated and compiled (kept from an earlier call
/// on this thread, if it was among the last few).
fn with_regex<T>(
    pattern: &str,
    case_insensitive: bool,
    f: impl FnOnce(&Compiled) -> Result<T, TypeError>,
) -> Result<T, TypeError> {
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        let kept = recent
            .iter()
            .position(|c| c.pattern == pattern && c.case_insensitive == case_insensitive);
        let compiled = match kept {
            Some(position) => recent.remove(position),
            None => {
                let (translated, groups) = translate(pattern, case_insensitive)?;
                // Case folding is already spelled out in `translated`.
                let regex = RegexBuilder::new(&translated)
                    .size_limit(REGEX_SIZE_BYTES_MAX)
                    .build()
                    .map_err(|e| TypeError::InvalidRegex(e.to_string()))?;
                Compiled {
                    pattern: pattern.to_owned(),
                    case_insensitive,
                    translated,
                    groups,
                    regex,
                    rules: OnceCell::new(),
                }
            }
        };
        recent.insert(0, compiled);
        recent.truncate(PATTERNS_KEPT);
        f(&recent[0])
    })
}

/// The names (then a number) of the groups that carry a quantified atom's
/// preference where the `regex` crate's syntax tree loses it (see
/// `push_quantifier`); `dissect` reads them, and they are not PostgreSQL's.
pub const SHORTER_GROUP: &str = "__shorter";
pub const LONGER_GROUP: &str = "__longer";

/// An empty match that prefers to be taken: an alternation's preference (see
/// `mark_alternation`).
const GREEDY_MARKER: &str = "(?:){0,1}";

/// True for a translated bound `{m,m}`: a range whose ends are equal.
fn is_count_range(quantifier: &str) -> bool {
    quantifier
        .strip_prefix('{')
        .and_then(|q| q.strip_suffix('}'))
        .and_then(|q| q.split_once(','))
        .is_some_and(|(min, max)| min == max)
}

/// True for a translated bound of one count, `{m}` (not `{m,m}`).
fn is_fixed_count(quantifier: &str) -> bool {
    quantifier.starts_with('{') && !quantifier.contains(',')
}

// PostgreSQL's messages for the errors a pattern can have (regerror.c).
const BAD_ESCAPE: &str = "invalid escape \\ sequence";
const BAD_QUANTIFIER: &str = "quantifier operand invalid";
const BAD_BACKREFERENCE: &str = "invalid backreference number";
const UNBALANCED_BRACKETS: &str = "brackets [] not balanced";
const UNBALANCED_PARENTHESES: &str = "parentheses () not balanced";
const UNBALANCED_BRACES: &str = "braces {} not balanced";
const BAD_REPETITION_COUNT: &str = "invalid repetition count(s)";
const BAD_RANGE: &str = "invalid character range";
const BAD_CLASS: &str = "invalid character class";
const BAD_COLLATING_ELEMENT: &str = "invalid collating element";
const BAD_OPTION: &str = "invalid embedded option";
const BAD_PATTERN: &str = "invalid regular expression";

fn invalid(message: &str) -> TypeError {
    TypeError::InvalidRegex(message.to_owned())
}

/// The largest repetition count of a bound (PostgreSQL's DUPMAX).
const REPETITION_COUNT_MAX: u32 = 255;

/// The largest character code an escape may give (PostgreSQL's CHR_MAX); codes
/// above U+10FFFF and surrogates are accepted but match nothing.
const CHARACTER_CODE_MAX: u32 = 0x7fff_fffe;

/// White space that expanded syntax skips: PostgreSQL's `isspace` under "C".
fn is_expanded_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r')
}

/// Translates PostgreSQL ARE `pattern` (matched case-insensitively if
/// `case_insensitive`, as by `~*`) into an equivalent `regex` crate pattern,
/// returned with the number of groups it has (the `regex` crate does not count
/// those of a part repeated `{0}` times, which PostgreSQL reports as NULL).
fn translate(pattern: &str, case_insensitive: bool) -> Result<(String, usize), TypeError> {
    let mut translator = Translator {
        chars: pattern.chars().collect(),
        pos: 0,
        out: String::new(),
        case_insensitive,
        expanded: false,
        newline_excluded_from_dot: false,
        newline_anchors: false,
        groups_opened: 0,
        open_groups: Vec::new(),
        top_level: (0, false),
        closed_groups: Vec::new(),
        quantifiable: false,
        atom_start: 0,
        preference_groups: 0,
        empty_group: false,
        unsupported: None,
    };
    match translator.read_prefixes()? {
        Syntax::Literal => translator.translate_literal(),
        Syntax::Advanced => translator.translate_advanced()?,
    }
    match translator.unsupported {
        Some(construct) => Err(TypeError::Unsupported(format!(
            "{construct} in regular expressions are not supported"
        ))),
        None => Ok((translator.out, translator.groups_opened)),
    }
}

/// How the rest of a pattern is read, after its director and embedded options.
enum Syntax {
    /// `***=` or option `q`: every character stands for itself.
    Literal,
    /// An ARE.
    Advanced,
}

/// A group the translation is inside.
struct OpenGroup {
    kind: Group,
    /// Where its `(` is in `out`.
    start: usize,
    /// Where its first branch starts in `out`.
    body: usize,
    /// Whether a `|` in it has marked it (see `mark_alternation`).
    alternation: bool,
    /// Whether anything in it matches a character (else it matches only
    /// empty text, as `(?:^|$)`).
    consumes: bool,
}

/// What an open parenthesis started.
enum Group {
    Capturing(usize),
    NonCapturing,
    /// A lookahead or lookbehind constraint (refused; parsed only to validate).
    Lookaround,
}

/// What a backslash escape stands for.
enum Escape {
    /// A character code (possibly one no text can contain, as a surrogate).
    Character(u32),
    /// `\d`, `\s`, `\w` or their complements.
    Class(CharSet),
    /// A constraint (`\A`, `\Z`, `\m`, `\M`, `\y`, `\Y`) as `regex` syntax.
    Constraint(&'static str),
    /// `\N`: a back-reference to group N.
    BackReference(usize),
}

/// One side of a range in a bracket expression.
enum BracketItem {
    Character(u32),
    /// A class or equivalence class, which cannot start or end a range.
    Set(CharSet),
}

struct Translator {
    chars: Vec<char>,
    pos: usize,
    /// The translated pattern so far.
    out: String,
    case_insensitive: bool,
    /// Option `x`: white space and `#` comments are ignored.
    expanded: bool,
    /// Options `n`, `p`: `.` and `[^...]` do not match a newline.
    newline_excluded_from_dot: bool,
    /// Options `n`, `w`: `^` and `$` also match after and before a newline.
    newline_anchors: bool,
    groups_opened: usize,
    /// The groups open, innermost last.
    open_groups: Vec<OpenGroup>,
    /// Where in `out` the pattern's top-level branches start, and whether a
    /// `|` among them has marked it (see [`Translator::mark_alternation`]).
    top_level: (usize, bool),
    closed_groups: Vec<usize>,
    /// True right after an atom, where a quantifier may follow.
    quantifiable: bool,
    /// Where in `out` the last atom starts.
    atom_start: usize,
    /// Groups added to carry a preference (see `push_quantifier`).
    preference_groups: usize,
    /// The group just closed matches only empty text.
    empty_group: bool,
    /// The first construct seen that PostgreSQL supports and this translation
    /// cannot express, named for the 0A000 message.
    unsupported: Option<&'static str>,
}

impl Translator {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn next_char(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn starts_with(&self, text: &str) -> bool {
        let mut rest = self.chars[self.pos..].iter();
        text.chars().all(|c| rest.next() == Some(&c))
    }

    fn mark_unsupported(&mut self, construct: &'static str) {
        self.unsupported.get_or_insert(construct);
    }

    /// Reads the `***=` / `***:` director and the embedded options `(?...)`,
    /// which only a pattern's start may have.
    fn read_prefixes(&mut self) -> Result<Syntax, TypeError> {
        if self.chars.len() >= 4 && self.starts_with("***") {
            match self.chars[3] {
                '=' => {
                    self.pos = 4;
                    return Ok(Syntax::Literal);
                }
                ':' => self.pos = 4,
                '?' => return Err(invalid(BAD_PATTERN)),
                _ => return Err(invalid(BAD_QUANTIFIER)),
            }
        }
        let has_options =
            self.starts_with("(?") && self.peek_at(2).is_some_and(|c| c.is_ascii_alphabetic());
        if !has_options {
            return Ok(Syntax::Advanced);
        }
        self.pos += 2;
        let mut literal = false;
        let mut not_advanced = false;
        while let Some(option) = self.peek().filter(char::is_ascii_alphabetic) {
            self.pos += 1;
            match option {
                'b' | 'e' => not_advanced = true,
                'c' => self.case_insensitive = false,
                'i' => self.case_insensitive = true,
                'm' | 'n' => {
                    self.newline_excluded_from_dot = true;
                    self.newline_anchors = true;
                }
                'p' => {
                    self.newline_excluded_from_dot = true;
                    self.newline_anchors = false;
                }
                'q' => literal = true,
                's' => {
                    self.newline_excluded_from_dot = false;
                    self.newline_anchors = false;
                }
                't' => self.expanded = false,
                'w' => {
                    self.newline_excluded_from_dot = false;
                    self.newline_anchors = true;
                }
                'x' => self.expanded = true,
                _ => return Err(invalid(BAD_OPTION)),
            }
        }
        if self.next_char() != Some(')') {
            return Err(invalid(BAD_OPTION));
        }
        if literal {
            Ok(Syntax::Literal)
        } else if not_advanced {
            // The rest follows other rules, so it cannot even be checked here.
            Err(TypeError::Unsupported(
                "basic and extended regular expressions (embedded options b and e) are not supported"
                    .to_owned(),
            ))
        } else {
            Ok(Syntax::Advanced)
        }
    }

    /// The rest of the pattern is literal text.
    fn translate_literal(&mut self) {
        while let Some(c) = self.next_char() {
            self.push_character(c as u32);
        }
    }

    fn translate_advanced(&mut self) -> Result<(), TypeError> {
        self.top_level = (self.out.len(), false);
        loop {
            self.skip_expanded_space();
            let Some(c) = self.next_char() else { break };
            let before = self.out.len();
            match c {
                '|' => {
                    self.mark_alternation();
                    self.out.push('|');
                    self.quantifiable = false;
                }
                '(' => self.open_group()?,
                ')' => self.close_group()?,
                '^' => self.push_constraint(if self.newline_anchors {
                    "(?m:^)"
                } else {
                    r"\A"
                }),
                '$' => self.push_constraint(if self.newline_anchors {
                    "(?m:$)"
                } else {
                    r"\z"
                }),
                '.' => {
                    let mut any = CharSet::all();
                    if self.newline_excluded_from_dot {
                        any = any.without('\n' as u32);
                    }
                    self.push_set(&any);
                }
                '[' => self.translate_bracket()?,
                '\\' => match self.read_escape()? {
                    Escape::Character(code) => self.push_character(code),
                    Escape::Class(set) => self.push_set(&set),
                    Escape::Constraint(constraint) => self.push_constraint(constraint),
                    Escape::BackReference(group) => {
                        if !self.closed_groups.contains(&group) {
                            return Err(invalid(BAD_BACKREFERENCE));
                        }
                        self.mark_unsupported("back-references (\\N)");
                        self.quantifiable = true;
                    }
                },
                '*' | '+' | '?' => self.push_quantifier(&c.to_string())?,
                '{' => {
                    self.skip_expanded_space();
                    if self.peek().is_some_and(|d| d.is_ascii_digit()) {
                        let bound = self.read_bound()?;
                        self.push_quantifier(&bound)?;
                    } else {
                        self.push_character('{' as u32);
                    }
                }
                _ => self.push_character(c as u32),
            }
            if self.quantifiable && c != ')' {
                self.atom_start = before;
            }
        }
        if !self.open_groups.is_empty() {
            return Err(invalid(UNBALANCED_PARENTHESES));
        }
        Ok(())
    }

    /// In expanded syntax, skips white space and `#` comments up to a newline.
    fn skip_expanded_space(&mut self) {
        if !self.expanded {
            return;
        }
        while let Some(c) = self.peek() {
            if is_expanded_space(c) {
                self.pos += 1;
            } else if c == '#' {
                while self.peek().is_some_and(|c| c != '\n') {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// After `(`: a group, a `(?#...)` comment or a lookaround constraint.
    fn open_group(&mut self) -> Result<(), TypeError> {
        if self.peek() != Some('?') {
            self.groups_opened += 1;
            self.open_group_at(Group::Capturing(self.groups_opened), "(");
            self.quantifiable = false;
            return Ok(());
        }
        self.pos += 1;
        match self.next_char() {
            Some(':') => {
                self.open_group_at(Group::NonCapturing, "(?:");
                self.quantifiable = false;
            }
            Some('#') => {
                // A comment up to `)`, as if it were not there.
                while self.next_char().is_some_and(|c| c != ')') {}
            }
            Some('=' | '!') => self.open_lookaround(),
            Some('<') if matches!(self.peek(), Some('=' | '!')) => {
                self.pos += 1;
                self.open_lookaround();
            }
            _ => return Err(invalid(BAD_QUANTIFIER)),
        }
        Ok(())
    }

    fn open_group_at(&mut self, kind: Group, paren: &str) {
        let start = self.out.len();
        self.out.push_str(paren);
        self.open_groups.push(OpenGroup {
            kind,
            start,
            body: self.out.len(),
            alternation: false,
            consumes: false,
        });
    }

    /// At a `|`: the first of its group (or of the top level) puts a greedy
    /// empty marker at the start of the first branch. An alternation prefers
    /// the longest match in PostgreSQL, and the `regex` crate's syntax tree
    /// folds one of single characters (`a|b`) into a class, which has no
    /// preference; the marker keeps it an alternation for `dissect` (it
    /// matches nothing, and changes no match).
    fn mark_alternation(&mut self) {
        let (body, marked) = match self.open_groups.last_mut() {
            Some(group) => (group.body, &mut group.alternation),
            None => (self.top_level.0, &mut self.top_level.1),
        };
        if !*marked {
            *marked = true;
            self.out.insert_str(body, GREEDY_MARKER);
        }
    }

    fn open_lookaround(&mut self) {
        self.mark_unsupported("lookahead and lookbehind constraints ((?= (?! (?<= (?<!)");
        self.open_group_at(Group::Lookaround, "(?:");
        self.quantifiable = false;
    }

    fn close_group(&mut self) -> Result<(), TypeError> {
        let OpenGroup {
            kind: group,
            start,
            consumes,
            ..
        } = self
            .open_groups
            .pop()
            .ok_or_else(|| invalid(UNBALANCED_PARENTHESES))?;
        self.out.push(')');
        self.atom_start = start;
        self.empty_group = !consumes;
        if consumes {
            self.consumed();
        }
        // A constraint, even in parentheses, takes no quantifier.
        self.quantifiable = !matches!(group, Group::Lookaround);
        if let Group::Capturing(number) = group {
            self.closed_groups.push(number);
        }
        Ok(())
    }

    /// Pushes `quantifier` (`*`, `+`, `?` or a bound), non-greedy if a `?`
    /// follows it directly.
    fn push_quantifier(&mut self, quantifier: &str) -> Result<(), TypeError> {
        if !self.quantifiable {
            return Err(invalid(BAD_QUANTIFIER));
        }
        let lazy = self.peek() == Some('?');
        let empty_group = self.empty_group && self.out[self.atom_start..].starts_with('(');
        let loses_preference = if is_count_range(quantifier) {
            !lazy || quantifier == "{1,1}"
        } else {
            empty_group && !is_fixed_count(quantifier)
        };
        if loses_preference {
            // `{m,m}` prefers longer matches and `{1,1}?` shorter ones, while
            // the `regex` crate's syntax tree reads `{m,m}` as `{m}` (no
            // preference of its own) and keeps only the atom of `{1,1}`; it
            // also keeps only the atom of a group that matches only empty
            // text (`(?:^|$)*?`), whatever its quantifier. So the atom goes in
            // a group named for the preference, which `dissect` reads and
            // does not number (it changes no match).
            self.preference_groups += 1;
            let name = if lazy { SHORTER_GROUP } else { LONGER_GROUP };
            let open = format!("(?P<{name}{}>", self.preference_groups);
            self.out.insert_str(self.atom_start, &open);
            self.out.push(')');
        }
        self.out.push_str(quantifier);
        if lazy {
            self.pos += 1;
            // A fixed count `{m}?` is `{m}`: the count cannot prefer anything,
            // its operand does (see `dissect`), and the `regex` crate's lazy
            // flag on it would read as a preference for shorter matches.
            if !is_fixed_count(quantifier) {
                self.out.push('?');
            }
        }
        self.quantifiable = false;
        Ok(())
    }

    /// After `{` and before its first digit: the bound `m}`, `m,}` or `m,n}`, as
    /// `regex` syntax. In expanded syntax white space may separate its parts, even
    /// two digits of a number.
    fn read_bound(&mut self) -> Result<String, TypeError> {
        let min = self.read_repetition_count()?;
        self.skip_expanded_space();
        let bound = if self.peek() == Some(',') {
            self.pos += 1;
            self.skip_expanded_space();
            if self.peek().is_some_and(|d| d.is_ascii_digit()) {
                let max = self.read_repetition_count()?;
                if min > max {
                    return Err(invalid(BAD_REPETITION_COUNT));
                }
                format!("{{{min},{max}}}")
            } else {
                format!("{{{min},}}")
            }
        } else {
            format!("{{{min}}}")
        };
        self.skip_expanded_space();
        match self.next_char() {
            Some('}') => Ok(bound),
            None => Err(invalid(UNBALANCED_BRACES)),
            Some(_) => Err(invalid(BAD_REPETITION_COUNT)),
        }
    }

    fn read_repetition_count(&mut self) -> Result<u32, TypeError> {
        let mut count: u32 = 0;
        while let Some(digit) = self.peek().and_then(|d| d.to_digit(10)) {
            self.pos += 1;
            count = count * 10 + digit;
            if count > REPETITION_COUNT_MAX {
                return Err(invalid(BAD_REPETITION_COUNT));
            }
            self.skip_expanded_space();
        }
        Ok(count)
    }

    /// After `\`: the escape, read as PostgreSQL's `lexescape` does.
    fn read_escape(&mut self) -> Result<Escape, TypeError> {
        let c = self.next_char().ok_or_else(|| invalid(BAD_ESCAPE))?;
        if !c.is_ascii_alphanumeric() {
            return Ok(Escape::Character(c as u32));
        }
        let escape = match c {
            'a' => Escape::Character(0x07),
            'b' => Escape::Character(0x08),
            'B' => Escape::Character('\\' as u32),
            'c' => {
                let control = self.next_char().ok_or_else(|| invalid(BAD_ESCAPE))?;
                Escape::Character(control as u32 & 0x1f)
            }
            'e' => Escape::Character(0x1b),
            'f' => Escape::Character(0x0c),
            'n' => Escape::Character('\n' as u32),
            'r' => Escape::Character('\r' as u32),
            't' => Escape::Character('\t' as u32),
            'v' => Escape::Character(0x0b),
            'u' => Escape::Character(self.read_character_code(16, 4, 4)?),
            'U' => Escape::Character(self.read_character_code(16, 8, 8)?),
            'x' => Escape::Character(self.read_character_code(16, 1, 255)?),
            'd' => Escape::Class(CharSet::digit()),
            's' => Escape::Class(CharSet::space()),
            'w' => Escape::Class(CharSet::word()),
            'D' => Escape::Class(CharSet::digit().complement()),
            'S' => Escape::Class(CharSet::space().complement()),
            'W' => Escape::Class(CharSet::word().complement()),
            'A' => Escape::Constraint(r"\A"),
            'Z' => Escape::Constraint(r"\z"),
            // Words are ASCII letters, digits and `_` under "C", as for `(?-u:\b)`.
            'm' => Escape::Constraint(r"(?-u:\b{start})"),
            'M' => Escape::Constraint(r"(?-u:\b{end})"),
            'y' => Escape::Constraint(r"(?-u:\b)"),
            'Y' => Escape::Constraint(r"(?-u:\B)"),
            '1'..='9' => self.read_back_reference_or_octal()?,
            '0' => {
                self.pos -= 1;
                Escape::Character(self.read_octal())
            }
            _ => return Err(invalid(BAD_ESCAPE)),
        };
        Ok(escape)
    }

    /// After `\` and a digit 1-9: a single digit is always a back-reference; more
    /// digits are one if they number a group opened so far, else an octal code.
    fn read_back_reference_or_octal(&mut self) -> Result<Escape, TypeError> {
        let first_digit = self.pos - 1;
        let mut number: usize = 0;
        let mut digits = 0;
        self.pos = first_digit;
        while let Some(digit) = self.peek().and_then(|d| d.to_digit(10)) {
            self.pos += 1;
            digits += 1;
            number = number.saturating_mul(10).saturating_add(digit as usize);
        }
        if digits == 1 || number <= self.groups_opened {
            return Ok(Escape::BackReference(number));
        }
        self.pos = first_digit;
        if self.peek().and_then(|d| d.to_digit(8)).is_none() {
            // `\8` or `\9` followed by digits.
            return Err(invalid(BAD_ESCAPE));
        }
        Ok(Escape::Character(self.read_octal()))
    }

    /// Up to three octal digits (at least one is there), keeping the code below 256.
    fn read_octal(&mut self) -> u32 {
        let start = self.pos;
        let mut code = 0;
        while self.pos - start < 3 {
            let Some(digit) = self.peek().and_then(|d| d.to_digit(8)) else {
                break;
            };
            self.pos += 1;
            code = code * 8 + digit;
        }
        if code > 0xff {
            // The third digit made it too large: it is a character of its own.
            self.pos -= 1;
            code >>= 3;
        }
        code
    }

    /// `min_digits` to `max_digits` digits in `radix`: a character code.
    fn read_character_code(
        &mut self,
        radix: u32,
        min_digits: usize,
        max_digits: usize,
    ) -> Result<u32, TypeError> {
        let mut code: u64 = 0;
        let mut digits = 0;
        while digits < max_digits {
            let Some(digit) = self.peek().and_then(|d| d.to_digit(radix)) else {
                break;
            };
            self.pos += 1;
            digits += 1;
            code = (code * u64::from(radix) + u64::from(digit)).min(u64::from(u32::MAX));
        }
        if digits < min_digits || code > u64::from(CHARACTER_CODE_MAX) {
            return Err(invalid(BAD_ESCAPE));
        }
        Ok(code as u32)
    }

    /// After `[`: a bracket expression, or the word constraints `[[:<:]]` and
    /// `[[:>:]]`.
    fn translate_bracket(&mut self) -> Result<(), TypeError> {
        if self.starts_with("[:<:]]") {
            self.pos += 6;
            self.push_constraint(r"(?-u:\b{start})");
            return Ok(());
        }
        if self.starts_with("[:>:]]") {
            self.pos += 6;
            self.push_constraint(r"(?-u:\b{end})");
            return Ok(());
        }
        let negated = self.peek() == Some('^');
        if negated {
            self.pos += 1;
        }
        let mut members = CharSet::empty();
        let mut first = true;
        loop {
            let c = self
                .next_char()
                .ok_or_else(|| invalid(UNBALANCED_BRACKETS))?;
            let start = match c {
                // `]` first is a member, and so is `-` first or last.
                ']' if !first => break,
                '-' if !first && self.peek() != Some(']') => return Err(invalid(BAD_RANGE)),
                _ => self.read_bracket_item(c)?,
            };
            first = false;
            let is_range = self.peek() == Some('-') && self.peek_at(1) != Some(']');
            let start = match start {
                BracketItem::Set(set) if !is_range => {
                    members = members.union(&set);
                    continue;
                }
                BracketItem::Set(_) => return Err(invalid(BAD_RANGE)),
                BracketItem::Character(code) => code,
            };
            let end = if is_range {
                self.pos += 1;
                let c = self
                    .next_char()
                    .ok_or_else(|| invalid(UNBALANCED_BRACKETS))?;
                match self.read_bracket_item(c)? {
                    BracketItem::Character(code) => code,
                    BracketItem::Set(_) => return Err(invalid(BAD_RANGE)),
                }
            } else {
                start
            };
            if start > end {
                return Err(invalid(BAD_RANGE));
            }
            let mut range = CharSet::range(start, end);
            if self.case_insensitive {
                range = range.with_ascii_case_counterparts();
            }
            members = members.union(&range);
        }
        if negated {
            members = members.complement();
            if self.newline_excluded_from_dot {
                members = members.without('\n' as u32);
            }
        }
        self.push_set(&members);
        Ok(())
    }

    /// A member of a bracket expression starting with `c` (already read).
    fn read_bracket_item(&mut self, c: char) -> Result<BracketItem, TypeError> {
        match c {
            '\\' => match self.read_escape()? {
                Escape::Character(code) => Ok(BracketItem::Character(code)),
                Escape::Class(set) => Ok(BracketItem::Set(set)),
                Escape::Constraint(_) | Escape::BackReference(_) => Err(invalid(BAD_ESCAPE)),
            },
            '[' => match self.peek() {
                None => Err(invalid(UNBALANCED_BRACKETS)),
                Some('.') => {
                    self.pos += 1;
                    let name = self.read_bracket_name('.')?;
                    Ok(BracketItem::Character(collating_element(&name)?))
                }
                Some('=') => {
                    self.pos += 1;
                    let name = self.read_bracket_name('=')?;
                    let code = collating_element(&name)?;
                    let mut set = CharSet::range(code, code);
                    if self.case_insensitive {
                        set = set.with_ascii_case_counterparts();
                    }
                    Ok(BracketItem::Set(set))
                }
                Some(':') => {
                    self.pos += 1;
                    let name = self.read_bracket_name(':')?;
                    Ok(BracketItem::Set(self.character_class(&name)?))
                }
                Some(_) => Ok(BracketItem::Character('[' as u32)),
            },
            _ => Ok(BracketItem::Character(c as u32)),
        }
    }

    /// The name in `[.name.]`, `[=name=]` or `[:name:]`, after its opening.
    fn read_bracket_name(&mut self, delimiter: char) -> Result<String, TypeError> {
        let start = self.pos;
        while !(self.peek() == Some(delimiter) && self.peek_at(1) == Some(']')) {
            if self.next_char().is_none() {
                return Err(invalid(UNBALANCED_BRACKETS));
            }
        }
        let name = self.chars[start..self.pos].iter().collect();
        self.pos += 2;
        Ok(name)
    }

    /// `[:name:]` under "C"; with case folding, `upper` and `lower` are `alpha`.
    fn character_class(&self, name: &str) -> Result<CharSet, TypeError> {
        let ascii = |ranges: &[(char, char)]| {
            let mut set = CharSet::empty();
            for &(low, high) in ranges {
                set = set.union(&CharSet::range(low as u32, high as u32));
            }
            set
        };
        let set = match name {
            "alnum" => ascii(&[('0', '9'), ('A', 'Z'), ('a', 'z')]),
            "alpha" => ascii(&[('A', 'Z'), ('a', 'z')]),
            "ascii" => CharSet::range(0, 0x7f),
            "blank" => ascii(&[('\t', '\t'), (' ', ' ')]),
            "cntrl" => CharSet::range(0, 0x1f).union(&CharSet::range(0x7f, 0x9f)),
            "digit" => CharSet::digit(),
            "graph" => ascii(&[('!', '~')]),
            "lower" if self.case_insensitive => ascii(&[('A', 'Z'), ('a', 'z')]),
            "lower" => ascii(&[('a', 'z')]),
            "print" => ascii(&[(' ', '~')]),
            "punct" => ascii(&[('!', '/'), (':', '@'), ('[', '`'), ('{', '~')]),
            "space" => CharSet::space(),
            "upper" if self.case_insensitive => ascii(&[('A', 'Z'), ('a', 'z')]),
            "upper" => ascii(&[('A', 'Z')]),
            "xdigit" => ascii(&[('0', '9'), ('A', 'F'), ('a', 'f')]),
            "word" => CharSet::word(),
            _ => return Err(invalid(BAD_CLASS)),
        };
        Ok(set)
    }

    /// Pushes a character as an atom, with its other case if folding.
    fn push_character(&mut self, code: u32) {
        let set = CharSet::range(code, code);
        let is_ascii_letter = char::from_u32(code).is_some_and(|c| c.is_ascii_alphabetic());
        if self.case_insensitive && is_ascii_letter {
            self.push_set(&set.with_ascii_case_counterparts());
        } else if let Some(c) = char::from_u32(code).filter(char::is_ascii_alphanumeric) {
            self.out.push(c);
            self.quantifiable = true;
            self.consumed();
        } else {
            self.push_set(&set);
        }
    }

    fn push_set(&mut self, set: &CharSet) {
        self.out.push_str(&set.to_regex_class());
        self.quantifiable = true;
        self.consumed();
    }

    /// An atom that matches a character went into the innermost open group.
    fn consumed(&mut self) {
        if let Some(group) = self.open_groups.last_mut() {
            group.consumes = true;
        }
    }

    fn push_constraint(&mut self, constraint: &str) {
        self.out.push_str(constraint);
        self.quantifiable = false;
    }
}

/// The character `[.name.]` names: itself if one character long, else a name
/// from POSIX's table (PostgreSQL's `cnames`).
fn collating_element(name: &str) -> Result<u32, TypeError> {
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Ok(c as u32);
    }
    let code = match name {
        "NUL" => '\u{0}',
        "SOH" => '\u{1}',
        "STX" => '\u{2}',
        "ETX" => '\u{3}',
        "EOT" => '\u{4}',
        "ENQ" => '\u{5}',
        "ACK" => '\u{6}',
        "BEL" | "alert" => '\u{7}',
        "BS" | "backspace" => '\u{8}',
        "HT" | "tab" => '\u{9}',
        "LF" | "newline" => '\u{a}',
        "VT" | "vertical-tab" => '\u{b}',
        "FF" | "form-feed" => '\u{c}',
        "CR" | "carriage-return" => '\u{d}',
        "SO" => '\u{e}',
        "SI" => '\u{f}',
        "DLE" => '\u{10}',
        "DC1" => '\u{11}',
        "DC2" => '\u{12}',
        "DC3" => '\u{13}',
        "DC4" => '\u{14}',
        "NAK" => '\u{15}',
        "SYN" => '\u{16}',
        "ETB" => '\u{17}',
        "CAN" => '\u{18}',
        "EM" => '\u{19}',
        "SUB" => '\u{1a}',
        "ESC" => '\u{1b}',
        "IS4" | "FS" => '\u{1c}',
        "IS3" | "GS" => '\u{1d}',
        "IS2" | "RS" => '\u{1e}',
        "IS1" | "US" => '\u{1f}',
        "space" => ' ',
        "exclamation-mark" => '!',
        "quotation-mark" => '"',
        "number-sign" => '#',
        "dollar-sign" => '$',
        "percent-sign" => '%',
        "ampersand" => '&',
        "apostrophe" => '\'',
        "left-parenthesis" => '(',
        "right-parenthesis" => ')',
        "asterisk" => '*',
        "plus-sign" => '+',
        "comma" => ',',
        "hyphen" | "hyphen-minus" => '-',
        "period" | "full-stop" => '.',
        "slash" | "solidus" => '/',
        "zero" => '0',
        "one" => '1',
        "two" => '2',
        "three" => '3',
        "four" => '4',
        "five" => '5',
        "six" => '6',
        "seven" => '7',
        "eight" => '8',
        "nine" => '9',
        "colon" => ':',
        "semicolon" => ';',
        "less-than-sign" => '<',
        "equals-sign" => '=',
        "greater-than-sign" => '>',
        "question-mark" => '?',
        "commercial-at" => '@',
        "left-square-bracket" => '[',
        "backslash" | "reverse-solidus" => '\\',
        "right-square-bracket" => ']',
        "circumflex" | "circumflex-accent" => '^',
        "underscore" | "low-line" => '_',
        "grave-accent" => '`',
        "left-brace" | "left-curly-bracket" => '{',
        "vertical-line" => '|',
        "right-brace" | "right-curly-bracket" => '}',
        "tilde" => '~',
        "DEL" => '\u{7f}',
        _ => return Err(invalid(BAD_COLLATING_ELEMENT)),
    };
    Ok(code as u32)
}

/// The largest Unicode code point; text holds nothing above it.
const CODE_POINT_MAX: u32 = 0x10_ffff;

/// A set of character codes: sorted, disjoint, non-adjacent inclusive ranges.
#[derive(Clone, Debug, PartialEq)]
struct CharSet {
    ranges: Vec<(u32, u32)>,
}

impl CharSet {
    fn empty() -> CharSet {
        CharSet { ranges: Vec::new() }
    }

    fn range(low: u32, high: u32) -> CharSet {
        CharSet {
            ranges: vec![(low, high)],
        }
    }

    fn all() -> CharSet {
        CharSet::range(0, CODE_POINT_MAX)
    }

    fn digit() -> CharSet {
        CharSet::range('0' as u32, '9' as u32)
    }

    /// `[[:space:]]` under "C": tab, newline, vertical tab, form feed, carriage
    /// return and space.
    fn space() -> CharSet {
        CharSet::range(0x09, 0x0d).union(&CharSet::range(0x20, 0x20))
    }

    /// `\w`: `[[:alnum:]_]`.
    fn word() -> CharSet {
        let mut set = CharSet::digit();
        for (low, high) in [('A', 'Z'), ('_', '_'), ('a', 'z')] {
            set = set.union(&CharSet::range(low as u32, high as u32));
        }
        set
    }

    fn union(&self, other: &CharSet) -> CharSet {
        let mut ranges: Vec<(u32, u32)> =
            self.ranges.iter().chain(&other.ranges).copied().collect();
        ranges.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
        for (low, high) in ranges {
            match merged.last_mut() {
                Some(last) if low <= last.1.saturating_add(1) => last.1 = last.1.max(high),
                _ => merged.push((low, high)),
            }
        }
        CharSet { ranges: merged }
    }

    /// Every code up to U+10FFFF not in the set.
    fn complement(&self) -> CharSet {
        let mut ranges = Vec::new();
        let mut next_low = 0;
        for &(low, high) in &self.ranges {
            if low > next_low {
                ranges.push((next_low, low - 1));
            }
            next_low = high.saturating_add(1);
        }
        if next_low <= CODE_POINT_MAX {
            ranges.push((next_low, CODE_POINT_MAX));
        }
        CharSet { ranges }
    }

    fn without(&self, code: u32) -> CharSet {
        CharSet::range(code, code)
            .union(&self.complement())
            .complement()
    }

    /// The set with the other case of each ASCII letter in it ("C" folds no other
    /// letters).
    fn with_ascii_case_counterparts(&self) -> CharSet {
        let mut result = self.clone();
        let case_offset = 'a' as u32 - 'A' as u32;
        for &(low, high) in &self.ranges {
            let upper = (low.max('A' as u32), high.min('Z' as u32));
            if upper.0 <= upper.1 {
                result = result.union(&CharSet::range(
                    upper.0 + case_offset,
                    upper.1 + case_offset,
                ));
            }
            let lower = (low.max('a' as u32), high.min('z' as u32));
            if lower.0 <= lower.1 {
                result = result.union(&CharSet::range(
                    lower.0 - case_offset,
                    lower.1 - case_offset,
                ));
            }
        }
        result
    }

    /// A `regex` class of the set's Unicode scalar values (surrogates and codes
    /// above U+10FFFF, which no text holds, are left out).
    fn to_regex_class(&self) -> String {
        const SURROGATES: (u32, u32) = (0xd800, 0xdfff);
        let mut class = String::from("[");
        for &(low, high) in &self.ranges {
            let parts = [
                (low, high.min(SURROGATES.0 - 1)),
                (low.max(SURROGATES.1 + 1), high.min(CODE_POINT_MAX)),
            ];
            for (part_low, part_high) in parts {
                if part_low <= part_high {
                    class.push_str(&format!("\\x{{{part_low:x}}}-\\x{{{part_high:x}}}"));
                }
            }
        }
        if class.len() == 1 {
            // Nothing can match: `regex` accepts this empty class.
            return format!("[^\\x{{0}}-\\x{{{CODE_POINT_MAX:x}}}]");
        }
        class.push(']');
        class
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_match(text: &str, pattern: &str) -> bool {
        matches(text, pattern, false).unwrap()
    }

    fn is_match_ci(text: &str, pattern: &str) -> bool {
        matches(text, pattern, true).unwrap()
    }

    fn is_invalid(pattern: &str) -> bool {
        matches!(matches("", pattern, false), Err(TypeError::InvalidRegex(_)))
    }

    fn is_unsupported(pattern: &str) -> bool {
        matches!(matches("", pattern, false), Err(TypeError::Unsupported(_)))
    }

    fn groups(text: &str, pattern: &str) -> Option<Vec<Value>> {
        first_match(text, pattern, "").unwrap()
    }

    fn texts(values: &[&str]) -> Option<Vec<Value>> {
        Some(values.iter().map(|v| Value::Text((*v).into())).collect())
    }

    /// What a match covers follows PostgreSQL's rules, not leftmost-first:
    /// the longest whole match, then each group by its own preference.
    #[test]
    fn matches_cover_what_postgresql_reports() {
        assert_eq!(substring("abcd", "a|ab").unwrap().as_deref(), Some("ab"));
        assert_eq!(replace("xy", "x|xy", "Z", "").unwrap(), "Z");
        assert_eq!(groups("abc", "(a|ab)(c|bc)"), texts(&["ab", "c"]));
        assert_eq!(groups("aaa", "(a+?)(a*)"), texts(&["a", ""]));
        assert_eq!(
            groups("xaybz", "x(?:(a)|(b)|y)+"),
            Some(vec![Value::Null, Value::Text("b".into())])
        );
        assert_eq!(
            replace("foo bar baz", "ba|bar", "X", "g").unwrap(),
            "foo X Xz"
        );
    }

    /// A repetition over a long string is cut into its iterations without
    /// recursing once per iteration (which overflowed the stack).
    #[test]
    fn long_repetitions_are_dissected_in_a_loop() {
        let text = "ab".repeat(100_000);
        assert_eq!(groups(&text, "(a|b)*"), texts(&["b"]));
    }

    /// Patterns with more groups than dissection takes are 54000, not slow.
    #[test]
    fn too_many_groups_is_a_limit() {
        let (text, pattern) = ("a".repeat(101), "(a)".repeat(101));
        assert!(matches!(
            first_match(&text, &pattern, ""),
            Err(TypeError::ProgramLimitExceeded(_))
        ));
        // `~` does not dissect.
        assert!(is_match(&text, &pattern));
    }

    /// psql's patterns match as in PostgreSQL; a bad pattern is an error.
    #[test]
    fn psql_patterns() {
        assert!(is_match("items", "^(items)$"));
        assert!(!is_match("items2", "^(items)$"));
        assert!(is_match("pg_toast_1", "^pg_toast"));
        assert!(is_match_ci("ITEMS", "^items$"));
        assert!(is_invalid("("));
    }

    #[test]
    fn dot_and_negated_brackets_match_newline_unless_newline_sensitive() {
        assert!(is_match("a\nb", "a.b"));
        assert!(is_match_ci("a\nb", "A.B"));
        assert!(is_match("a\nb", "a[^x]b"));
        assert!(!is_match("a\nb", "^b"));
        assert!(!is_match("a\nb", "a$"));
        assert!(!is_match("a\nb", "(?n)a.b"));
        assert!(!is_match("a\nb", "(?n)a[^x]b"));
        assert!(is_match("a\nb", "(?n)a\\Db"));
        assert!(is_match("a\nb", "(?n)a[\\D]b"));
        assert!(is_match("a\nb", "(?n)^b"));
        assert!(is_match("a\nb", "(?n)a$"));
        assert!(!is_match("a\nb", "(?p)^b"));
        assert!(!is_match("a\nb", "(?p)a.b"));
        assert!(is_match("a\nb", "(?w)^b"));
        assert!(is_match("a\nb", "(?w)a.b"));
        assert!(!is_match("a\nb", "(?n)\\Ab"));
        assert!(!is_match("a\nb", "(?ns)^b"));
    }

    #[test]
    fn character_entry_escapes() {
        assert!(!is_match("a b", "a\\b"));
        assert!(is_match("a\u{8}b", "a\\bb"));
        assert!(!is_match("ab", "a\\Bb"));
        assert!(is_match("a\\b", "a\\Bb"));
        assert!(is_match("a", "\\141"));
        assert!(is_match("A", "\\x41"));
        assert!(!is_match("a", "\\x41"));
        assert!(is_match("a", "\\u0061"));
        assert!(is_match("a", "\\U00000061"));
        assert!(is_match("\u{1}", "\\cA"));
        assert!(is_match("\u{1b}", "\\e"));
        assert!(is_match("\u{1}8", "^\\18$"));
        assert!(is_match("\u{3f}7", "^\\0777$"));
        assert!(is_match("é", "\\é"));
        assert!(!is_match("a", "\\uD800"));
        assert!(!is_match("a", "\\x110000"));
        assert!(is_invalid("\\xFFFFFFFF"));
        assert!(is_invalid("\\x"));
        assert!(is_invalid("\\u61"));
        assert!(is_invalid("\\q"));
        assert!(is_invalid("\\"));
        assert!(is_invalid("\\89"));
    }

    #[test]
    fn classes_are_ascii_under_c() {
        assert!(is_match("7", "^\\d$"));
        assert!(!is_match("٣", "^\\d$"));
        assert!(!is_match("é", "^\\w$"));
        assert!(!is_match("é", "^[[:alpha:]]$"));
        assert!(is_match("_", "^\\w$"));
        assert!(is_match("\u{b}", "^\\s$"));
        assert!(!is_match("\u{a0}", "^\\s$"));
        assert!(is_match("\u{85}", "^[[:cntrl:]]$"));
        assert!(is_match("é", "^\\W$"));
        assert!(is_match("!", "^[[:punct:]]$"));
        assert!(!is_match("a", "^[[:punct:]]$"));
        assert!(is_match("a", "[[:word:]]"));
        assert!(is_invalid("[[:ALPHA:]]"));
    }

    #[test]
    fn case_folding_is_ascii_only() {
        assert!(is_match_ci("ABC", "abc"));
        assert!(is_match_ci("B", "[a-c]"));
        assert!(!is_match_ci("A", "[^a]"));
        assert!(is_match_ci("b", "[[:upper:]]"));
        assert!(is_match_ci("z", "[Z-a]"));
        assert!(is_match_ci("a", "\\x41"));
        assert!(!is_match_ci("É", "é"));
        assert!(!is_match_ci("a", "(?c)A"));
        assert!(is_match("A", "(?i)a"));
        assert!(is_match("aB", "(?i)a[[:upper:]]"));
    }

    #[test]
    fn word_constraints() {
        assert!(is_match("abc", "[[:<:]]abc"));
        assert!(!is_match("xabc", "[[:<:]]abc"));
        assert!(is_match("abc d", "abc[[:>:]]"));
        assert!(!is_match("a b", "a\\yb"));
        assert!(is_match("a b", "a\\y b"));
        assert!(is_match("ab", "a\\Yb"));
        assert!(is_match("é a", "\\ma"));
        assert!(is_match("éa", "\\ma"));
        assert!(!is_match("a_", "a\\M"));
        assert!(is_match("abc", "c\\Z"));
        assert!(!is_match("a\n", "a\\Z"));
    }

    #[test]
    fn bounds_and_braces() {
        assert!(is_match("a{,2}b", "a{,2}b"));
        assert!(!is_match("ab", "a{,2}b"));
        assert!(is_match("a{b", "a{b"));
        assert!(is_match("aab", "^a{1,2}b$"));
        assert!(is_match("ab", "a{1}?b"));
        assert!(is_match("ab", "(?x)a { 1 , 2 } b"));
        assert!(is_invalid("a{256}"));
        assert!(is_invalid("a{2,1}"));
        assert!(is_invalid("a{1"));
        assert!(is_invalid("a{1}{2}"));
        assert!(is_invalid("a**"));
        assert!(is_invalid("*a"));
        assert!(is_invalid("^*"));
        assert!(is_invalid("\\y*"));
    }

    #[test]
    fn directors_and_options() {
        assert!(is_match("a.b", "***=a.b"));
        assert!(!is_match("axb", "***=a.b"));
        assert!(is_match_ci("A.B", "***=a.b"));
        assert!(is_match("a", "***:a"));
        assert!(is_match("a", "***:(?i)A"));
        assert!(is_match("x(?i)A", "***=(?i)A"));
        assert!(is_match("a", "(?iq)A"));
        assert!(is_match("a*", "(?q)a*"));
        assert!(is_invalid("***a"));
        assert!(is_invalid("(?z)a"));
        assert!(is_invalid("a(?i)"));
        assert!(is_invalid("(?i)(?x)a"));
        assert!(is_unsupported("(?b)a"));
        assert!(is_unsupported("(?e)a"));
        assert!(is_match("ab", "(?x)a b # comment"));
        assert!(is_match("a b", "(?x)a\\ b"));
        assert!(is_match("a b", "(?x)a[ ]b"));
        assert!(is_invalid("(?x)a* ?b"));
        assert!(is_match("ab", "a(?#comment)b"));
    }

    #[test]
    fn bracket_expressions() {
        assert!(is_match("[", "[[]"));
        assert!(is_match("]", "[]a]"));
        assert!(!is_match("a", "[^]a]"));
        assert!(is_match("b", "[^]a]"));
        assert!(is_match("-", "[a-]"));
        assert!(is_match("-", "[!--]"));
        assert!(is_match("]", "[\\]]"));
        assert!(is_match("-", "[[.hyphen.]]"));
        assert!(is_match("b", "[[.a.]-c]"));
        assert!(is_match("a", "[[=a=]]"));
        assert!(is_match("a", "[\\D]"));
        assert!(!is_match("a", "[\\b]"));
        assert!(is_invalid("[c-a]"));
        assert!(is_invalid("[a-c-e]"));
        assert!(is_invalid("[[:alpha:]-z]"));
        assert!(is_invalid("[[.ab.]]"));
        assert!(is_invalid("[\\y]"));
        assert!(is_invalid("[a"));
        assert!(is_invalid("[]"));
    }

    #[test]
    fn refused_constructs() {
        assert!(is_unsupported("(a)\\1"));
        assert!(is_unsupported("a(?=b)"));
        assert!(is_unsupported("a(?!b)"));
        assert!(is_unsupported("(?<=a)b"));
        assert!(is_unsupported("(?<!a)b"));
        // Invalid in PostgreSQL too: 2201B, not 0A000.
        assert!(is_invalid("\\1"));
        assert!(is_invalid("(a\\1)"));
        assert!(is_invalid("(a)\\2"));
        assert!(is_invalid("a(?=b"));
        assert!(is_invalid("(?=a)*"));
    }

    #[test]
    fn substring_captures_first_group() {
        assert_eq!(substring("foobar", "o.b").unwrap().as_deref(), Some("oob"));
        assert_eq!(substring("foobar", "o(.)b").unwrap().as_deref(), Some("o"));
        assert_eq!(
            substring("foobar", "(?:o)(b)").unwrap().as_deref(),
            Some("b")
        );
        assert_eq!(substring("foobar", "x(y)?|f").unwrap(), None);
        assert_eq!(substring("foobar", "z").unwrap(), None);
    }

    #[test]
    fn translated_is_cached_per_case_mode() {
        assert!(is_match("A", "a|A"));
        assert!(!is_match("B", "b\\B"));
        assert!(is_match_ci("B", "b"));
        assert!(!is_match("B", "b"));
    }
}
