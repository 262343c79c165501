//! What a match covers, by PostgreSQL's rules rather than the `regex` crate's.
//!
//! The `regex` crate reports the match a backtracking engine would find first:
//! at the leftmost position, the first alternative that matches, each
//! quantifier as greedy or lazy as written (leftmost-first). PostgreSQL's AREs
//! (regexec.c) decide in two steps, and report different text for `x|xy`,
//! `x*(xy)?` or `(a|ab)(c|bc)`:
//!
//! 1. **The whole match.** At the leftmost position where the pattern matches,
//!    the longest match, or the shortest if the pattern as a whole prefers
//!    shorter ones. A pattern's preference is that of its first part that has
//!    one: a quantifier (`*`, `+`, `?`, `{m,n}`) prefers longer, its non-greedy
//!    form (`*?`, …, `{m,m}?` too) shorter, a fixed `{m}` or `{m}?` whatever
//!    its operand prefers, a group whatever its pattern prefers, and an
//!    alternation (`|`) longer. (One inexactness: the `regex` crate's syntax
//!    tree does not tell `{m,m}` from `{m}`, so `{m,m}` takes its operand's
//!    preference here, where PostgreSQL has it prefer longer.)
//!    The leftmost position comes from the `regex` crate; the length from a
//!    matcher that keeps every match state (`MatchKind::All`): run anchored
//!    there, it ends at the longest match, or with `earliest`, the shortest.
//! 2. **The groups.** With the whole span fixed, PostgreSQL *dissects* it down
//!    the pattern's tree: a concatenation is split where its first part gets
//!    the longest span (the shortest, if that part prefers shorter) with which
//!    the rest still matches the remainder; an alternation gives the span to
//!    its first alternative that matches all of it; a repeated part is cut into
//!    iterations, each as long (or short) as it can be, left to right, and its
//!    groups report the last iteration; a group records its span. "Matches
//!    exactly this span" is an anchored `MatchKind::All` search over the span,
//!    longest end equal to the span's end: the haystack around the span stays
//!    visible, so `^`, `$` and word boundaries see the real neighbours.
//!
//! Only the parts that hold a group are dissected; a run of parts without one
//! is one leaf, as in PostgreSQL's tree. Splitting tries each candidate point,
//! so a dissection costs up to quadratic time in the length of the match per
//! level of the pattern: fine for the strings `regexp_match` and `substring`
//! see, and bounded for the others: a dissection that has scanned
//! [`DISSECTION_WORK_MAX`] bytes stops with 54000, as nothing can interrupt it
//! while it holds the read lock. The `~` operators never dissect.

use std::cell::Cell;

use regex_automata::meta::{self, BuildError};
use regex_automata::{Anchored, Input, MatchKind};
use regex_syntax::hir::{Hir, HirKind, Repetition};

use super::REGEX_SIZE_BYTES_MAX;
use crate::types::TypeError;

/// A span of the haystack, in bytes.
pub type Span = (usize, usize);

/// The most bytes one dissection may scan, with a few for each search (about
/// a second's work).
const DISSECTION_WORK_MAX: u64 = 200_000_000;

/// The most groups a pattern may have for its matches to be dissected: each
/// group's part is compiled, a concatenation's remainder for each of its
/// parts, so compiling grows with the square of this.
const GROUPS_MAX: usize = 100;

/// What a search costs beyond the bytes it scans.
const SEARCH_COST: u64 = 64;

/// One dissection: the haystack, and the work it has done.
struct Dissection<'a> {
    text: &'a str,
    work: Cell<u64>,
}

impl Dissection<'_> {
    /// Counts a search over `span`; false once the budget is spent, which
    /// makes every search after it fail, so the dissection ends.
    fn charge(&self, (start, end): Span) -> bool {
        let work = self.work.get() + (end - start) as u64 + SEARCH_COST;
        self.work.set(work);
        work <= DISSECTION_WORK_MAX
    }

    /// True once the budget is spent.
    fn exhausted(&self) -> bool {
        self.work.get() > DISSECTION_WORK_MAX
    }

    /// Where `part`'s longest match from `start` ends (its shortest if
    /// `shorter`), ending by `limit`.
    /// Counted as the bytes up to the end found: the search stops where no
    /// match can go on, mostly soon after it.
    fn end_from(&self, part: &Part, start: usize, limit: usize, shorter: bool) -> Option<usize> {
        if self.exhausted() {
            return None;
        }
        let input = Input::new(self.text)
            .range(start..limit)
            .anchored(Anchored::Yes)
            .earliest(shorter);
        let end = part.matcher.search(&input).map(|m| m.end());
        self.charge((start, end.unwrap_or(start))).then_some(end?)
    }

    /// True if `matcher` matches exactly `span`.
    fn spans(&self, matcher: &meta::Regex, (start, end): Span) -> bool {
        if !self.charge((start, end)) {
            return false;
        }
        let input = Input::new(self.text)
            .range(start..end)
            .anchored(Anchored::Yes);
        matcher.search(&input).is_some_and(|m| m.end() == end)
    }
}

/// A pattern ready for PostgreSQL's rules: its whole-match matcher and the tree
/// of its groups.
pub struct Rules {
    root: Part,
    groups: usize,
}

/// A part of the pattern: a matcher for exactly its language, its preference,
/// and how to dissect a span it matched.
struct Part {
    matcher: meta::Regex,
    shorter: bool,
    node: Node,
}

enum Node {
    /// No group inside: nothing to find out.
    Leaf,
    Group {
        index: usize,
        inner: Box<Part>,
    },
    /// The first part (a run of parts without a group, or one with) and the
    /// rest, so a longer concatenation is a chain of these, as in PostgreSQL.
    Concat {
        first: Box<Part>,
        rest: Box<Part>,
    },
    Alternation(Vec<Part>),
    Repeat {
        piece: Box<Part>,
        /// The groups inside the piece, cleared before each iteration: what
        /// stays is what the last iteration gave them, NULL for one it did
        /// not reach (`x(?:(a)|(b)|y)+` on `xaybz` gives NULL, `b`).
        inside: Vec<usize>,
        /// `(?:piece)*`: whether what is left after an iteration can still be
        /// cut into iterations, which prunes the search once it backs up.
        any_count: meta::Regex,
        min: u32,
        max: Option<u32>,
    },
}

impl Rules {
    /// The rules of the pattern `translated` (already in the `regex` crate's
    /// syntax, and compiled by it without error).
    pub fn new(translated: &str) -> Result<Rules, TypeError> {
        let hir = regex_syntax::parse(translated).map_err(|e| invalid(&e))?;
        let groups = hir.properties().explicit_captures_len();
        if groups > GROUPS_MAX {
            return Err(TypeError::ProgramLimitExceeded(format!(
                "a regular expression with {groups} groups is over the limit of {GROUPS_MAX} \
                 for finding what its groups cover; use non-capturing groups (?:…)"
            )));
        }
        Ok(Rules {
            root: Part::new(&hir)?,
            groups,
        })
    }

    /// The span of the match PostgreSQL reports for a match starting at
    /// `start`, the leftmost position where the pattern matches.
    pub fn whole(&self, text: &str, start: usize) -> Span {
        let input = Input::new(text)
            .range(start..)
            .anchored(Anchored::Yes)
            .earliest(self.root.shorter);
        let found = self.root.matcher.search(&input);
        (start, found.expect("the pattern matches at start").end())
    }

    /// What each group covers in the match `whole` (None for a group that
    /// took no part in it), by group number from 1; the `regex` crate numbers
    /// groups as the pattern's translation kept PostgreSQL's numbers.
    pub fn groups(&self, text: &str, whole: Span) -> Result<Vec<Option<Span>>, TypeError> {
        let cx = Dissection {
            text,
            work: Cell::new(0),
        };
        let mut groups = vec![None; self.groups + 1];
        let dissected = self.root.dissect(&cx, whole, &mut groups);
        if cx.exhausted() {
            return Err(TypeError::ProgramLimitExceeded(format!(
                "finding what the groups of a regular expression cover scanned over \
                 {DISSECTION_WORK_MAX} bytes; match a shorter string, or a pattern with \
                 fewer groups"
            )));
        }
        debug_assert!(dissected, "a matched span always dissects");
        groups[0] = Some(whole);
        Ok(groups)
    }
}

impl Part {
    fn new(hir: &Hir) -> Result<Part, TypeError> {
        let node = if hir.properties().explicit_captures_len() == 0 {
            Node::Leaf
        } else {
            match hir.kind() {
                HirKind::Capture(capture) => Node::Group {
                    index: capture.index as usize,
                    inner: Box::new(Part::new(&capture.sub)?),
                },
                HirKind::Concat(parts) => {
                    let mut items = leaves_merged(parts);
                    if items.len() == 1 {
                        return Part::new(&items[0]);
                    }
                    let first = items.remove(0);
                    Node::Concat {
                        first: Box::new(Part::new(&first)?),
                        rest: Box::new(Part::new(&Hir::concat(items))?),
                    }
                }
                HirKind::Alternation(branches) => {
                    Node::Alternation(branches.iter().map(Part::new).collect::<Result<_, _>>()?)
                }
                HirKind::Repetition(repetition) => Node::Repeat {
                    piece: Box::new(Part::new(&repetition.sub)?),
                    inside: group_indexes(&repetition.sub),
                    any_count: compile(&Hir::repetition(Repetition {
                        min: 0,
                        max: None,
                        greedy: true,
                        sub: repetition.sub.clone(),
                    }))?,
                    min: repetition.min,
                    max: repetition.max,
                },
                _ => Node::Leaf,
            }
        };
        Ok(Part {
            matcher: compile(hir)?,
            shorter: prefers_shorter(hir) == Some(true),
            node,
        })
    }

    /// Records what the groups inside this part cover when it matches exactly
    /// `span`; false if it cannot be dissected so (then `groups` is as it was).
    fn dissect(&self, cx: &Dissection<'_>, span: Span, groups: &mut [Option<Span>]) -> bool {
        let (start, end) = span;
        match &self.node {
            Node::Leaf => true,
            Node::Group { index, inner } => {
                let before = groups[*index];
                groups[*index] = Some(span);
                let dissected = inner.dissect(cx, span, groups);
                if !dissected {
                    groups[*index] = before;
                }
                dissected
            }
            Node::Concat { first, rest } => {
                let Some(preferred) = cx.end_from(first, start, end, first.shorter) else {
                    return false;
                };
                let candidates: Box<dyn Iterator<Item = usize>> = if first.shorter {
                    Box::new(preferred..=end)
                } else {
                    Box::new((start..=preferred).rev())
                };
                candidates
                    .filter(|&middle| cx.text.is_char_boundary(middle))
                    .any(|middle| {
                        cx.spans(&first.matcher, (start, middle))
                            && cx.spans(&rest.matcher, (middle, end))
                            && attempt(groups, |groups| {
                                first.dissect(cx, (start, middle), groups)
                                    && rest.dissect(cx, (middle, end), groups)
                            })
                    })
            }
            Node::Alternation(branches) => branches.iter().any(|branch| {
                cx.spans(&branch.matcher, span) && attempt(groups, |g| branch.dissect(cx, span, g))
            }),
            Node::Repeat {
                piece,
                inside,
                any_count,
                min,
                max,
            } => {
                let iterations = Iterations {
                    piece,
                    inside,
                    shorter: self.shorter,
                    any_count,
                    min: *min,
                    max: *max,
                    cx,
                    end,
                };
                iterations.cut(start, groups)
            }
        }
    }
}

/// The search for how a repeated part's span is cut into iterations.
struct Iterations<'a> {
    piece: &'a Part,
    inside: &'a [usize],
    /// The repetition's own preference (`*?` or `*`), which each iteration
    /// follows, whatever the piece prefers.
    shorter: bool,
    any_count: &'a meta::Regex,
    min: u32,
    max: Option<u32>,
    cx: &'a Dissection<'a>,
    end: usize,
}

impl Iterations<'_> {
    /// Cuts `[start, end)` into iterations, each as long (or as short) as the
    /// repetition prefers, left to right, backing up to the next candidate
    /// where the rest cannot be cut (as PostgreSQL's `citerdissect`), and
    /// dissects the last one: each iteration clears the groups inside first,
    /// so the last one's are what stays. A loop, not a recursion: a long
    /// string has as many iterations as characters.
    fn cut(&self, start: usize, groups: &mut [Option<Span>]) -> bool {
        let (piece, cx, end) = (self.piece, self.cx, self.end);
        // Where each iteration so far starts, with the end last tried for it.
        let mut cuts: Vec<(usize, Option<usize>)> = vec![(start, None)];
        while let Some(&(at, tried)) = cuts.last() {
            let done = cuts.len() - 1;
            if at == end {
                let last = match cuts.len() {
                    1 => None,
                    n => Some((cuts[n - 2].0, end)),
                };
                if done as u64 >= u64::from(self.min) {
                    return last.is_none_or(|span| attempt(groups, |g| self.iteration(g, span)));
                }
                // Short of the count: empty iterations make it up, the last
                // of them the one that stays.
                if cx.spans(&piece.matcher, (end, end)) {
                    return attempt(groups, |g| self.iteration(g, (end, end)));
                }
                cuts.pop();
                continue;
            }
            let at_most = self.max.is_some_and(|max| done as u64 >= u64::from(max));
            let next = if at_most || cx.exhausted() {
                None
            } else {
                self.next_cut(at, tried)
            };
            let top = cuts.len() - 1;
            match next {
                Some(cut) => {
                    cuts[top].1 = Some(cut);
                    cuts.push((cut, None));
                }
                None => {
                    cuts.pop();
                }
            }
        }
        false
    }

    /// The next end to try for the iteration starting `at`, after `tried`:
    /// one where the piece matches and what is left can still be cut into
    /// iterations.
    fn next_cut(&self, at: usize, tried: Option<usize>) -> Option<usize> {
        let (piece, cx, end) = (self.piece, self.cx, self.end);
        let mut candidates: Box<dyn Iterator<Item = usize>> = match (self.shorter, tried) {
            (true, Some(tried)) => Box::new(tried + 1..=end),
            (false, Some(tried)) => Box::new((at + 1..tried).rev()),
            (true, None) => {
                let shortest = cx.end_from(piece, at, end, true)?;
                Box::new(shortest.max(at + 1)..=end)
            }
            (false, None) => {
                let longest = cx.end_from(piece, at, end, false)?;
                Box::new((at + 1..=longest).rev())
            }
        };
        // The preferred end goes first unchecked: what is left is mostly cut
        // without backing up, and checking it costs the length of the rest at
        // every iteration. Once backing up, the check spares exploring what
        // cannot end well.
        let check_rest = tried.is_some();
        candidates.find(|&cut| {
            cx.text.is_char_boundary(cut)
                && cx.spans(&piece.matcher, (at, cut))
                && (!check_rest || cx.spans(self.any_count, (cut, end)))
        })
    }

    /// Dissects one iteration over `span`, its groups cleared first.
    fn iteration(&self, groups: &mut [Option<Span>], span: Span) -> bool {
        for &index in self.inside {
            groups[index] = None;
        }
        self.piece.dissect(self.cx, span, groups)
    }
}

/// The numbers of the groups in `hir`.
fn group_indexes(hir: &Hir) -> Vec<usize> {
    let mut indexes = Vec::new();
    let mut pending = vec![hir];
    while let Some(hir) = pending.pop() {
        match hir.kind() {
            HirKind::Capture(capture) => {
                indexes.push(capture.index as usize);
                pending.push(&capture.sub);
            }
            HirKind::Concat(parts) | HirKind::Alternation(parts) => pending.extend(parts),
            HirKind::Repetition(repetition) => pending.push(&repetition.sub),
            HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => {}
        }
    }
    indexes
}

/// Runs `f` on `groups`, putting them back as they were if it fails.
fn attempt(groups: &mut [Option<Span>], f: impl FnOnce(&mut [Option<Span>]) -> bool) -> bool {
    let before = groups.to_vec();
    let done = f(groups);
    if !done {
        groups.copy_from_slice(&before);
    }
    done
}

/// The parts of a concatenation, each run of parts without a group made one.
fn leaves_merged(parts: &[Hir]) -> Vec<Hir> {
    let mut items = Vec::new();
    let mut run = Vec::new();
    for part in parts {
        if part.properties().explicit_captures_len() == 0 {
            run.push(part.clone());
            continue;
        }
        if !run.is_empty() {
            items.push(Hir::concat(std::mem::take(&mut run)));
        }
        items.push(part.clone());
    }
    if !run.is_empty() {
        items.push(Hir::concat(run));
    }
    items
}

/// Whether `hir` prefers shorter matches (Some(true)), longer ones
/// (Some(false)), or has no preference (None), by PostgreSQL's rules (see
/// the module doc).
fn prefers_shorter(hir: &Hir) -> Option<bool> {
    match hir.kind() {
        HirKind::Alternation(_) => Some(false),
        HirKind::Concat(parts) => parts.iter().find_map(prefers_shorter),
        HirKind::Capture(capture) => prefers_shorter(&capture.sub),
        // A fixed count (`{m}`, `{m}?`: the translation writes both `{m}`) has
        // its operand's preference; `{m,m}?` prefers shorter. `{m,m}` reads
        // as `{m}` here, where PostgreSQL would have it prefer longer.
        HirKind::Repetition(r) if r.max == Some(r.min) && r.greedy => prefers_shorter(&r.sub),
        HirKind::Repetition(r) => Some(!r.greedy),
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => None,
    }
}

/// A matcher that keeps every match state: anchored, it reports the longest
/// match, or with `earliest` the shortest.
fn compile(hir: &Hir) -> Result<meta::Regex, TypeError> {
    meta::Builder::new()
        .configure(
            meta::Config::new()
                .match_kind(MatchKind::All)
                .nfa_size_limit(Some(REGEX_SIZE_BYTES_MAX)),
        )
        .build_from_hir(hir)
        .map_err(|e: BuildError| invalid(&e))
}

fn invalid(e: &dyn std::fmt::Display) -> TypeError {
    TypeError::InvalidRegex(e.to_string())
}
