//! What a match covers, by PostgreSQL's rules rather than the `regex` crate's.
//!
//! The `regex` crate reports the match a backtracking engine would find first:
//! at the leftmost position, the first alternative that matches, each
//! quantifier as greedy or lazy as written (leftmost-first). PostgreSQL's AREs
//! (regcomp.c, regexec.c) decide in two steps, and report different text for
//! `x|xy`, `x*(xy)?` or `(a|ab)(c|bc)`:
//!
//! 1. **The whole match.** At the leftmost position where the pattern matches,
//!    the longest match, or the shortest if the pattern as a whole prefers
//!    shorter ones. A pattern's preference is that of its first part that has
//!    one: a quantifier (`*`, `+`, `?`, `{m,n}`, `{m,m}`) prefers longer, its
//!    non-greedy form (`*?`, …) shorter, a fixed `{m}` or `{m}?` whatever its
//!    operand prefers, a group whatever its pattern prefers, and an
//!    alternation (`|`) longer. The leftmost position comes from the `regex`
//!    crate; the length from a matcher that keeps every match state
//!    (`MatchKind::All`): run anchored there, it ends at the longest match, or
//!    with `earliest`, the shortest.
//! 2. **The groups.** With the whole span fixed, PostgreSQL *dissects* it down
//!    its parse tree: a concatenation is split where its first part gets the
//!    longest span (the shortest, if that part prefers shorter) with which the
//!    rest still matches the remainder; an alternation gives the span to its
//!    first alternative that matches all of it; `x{m,n}` with m ≥ 1 is
//!    `x{m-1,n-1}` without groups, preferring what the quantifier prefers,
//!    then `x`, so the groups report the last iteration; `x{0,n}` is cut into
//!    iterations left to right, each as long (or short) as `x` prefers, an
//!    empty span being one empty iteration unless `x` prefers shorter; a run
//!    of parts without groups is one leaf, split where a part's preference
//!    clashes with the run's; a group records its span. "Matches exactly this
//!    span" is an anchored `MatchKind::All` search over the span, longest end
//!    equal to the span's end: the haystack around the span stays visible, so
//!    `^`, `$` and word boundaries see the real neighbours.
//!
//! The tree is the `regex` crate's syntax tree of the translated pattern, which
//! simplifies away what PostgreSQL's keeps: `x{1,1}` is `x`, `{m,m}` reads as
//! `{m}`, `a|b` is the class `[ab]`, a group of `x{0}` is gone, and a
//! repetition of what matches only empty text is one occurrence. The
//! translation (`regex::translate`) puts back what counts: an atom whose
//! quantifier's preference would be lost goes in a group named for it
//! (`__shorter…`, `__longer…`), which is read here and not numbered; an
//! alternation's first branch starts with an empty greedy marker, which stops
//! the folding; and group numbers come from the pattern's syntax, which keeps
//! every group. Differential testing against PostgreSQL 15 (random patterns
//! over a small alphabet with groups, alternations, every quantifier and the
//! anchors, several thousand strings) found no other difference.
//!
//! Splitting tries each candidate point, so a dissection costs up to
//! quadratic time in the length of the match per level of the pattern: fine
//! for the strings `regexp_match` and `substring` see, and bounded for the
//! others: a dissection that has scanned [`DISSECTION_WORK_MAX`] bytes stops
//! with 54000, as nothing can interrupt it while it holds the read lock. The
//! `~` operators never dissect.

use std::cell::Cell;

use regex_automata::meta::{self, BuildError};
use regex_automata::{Anchored, Input, MatchKind};
use regex_syntax::ast::{Ast, GroupKind};
use regex_syntax::hir::{Capture, Hir, HirKind, Repetition};

use super::{LONGER_GROUP, REGEX_SIZE_BYTES_MAX, SHORTER_GROUP};
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
    /// A part with groups repeated from zero times (`*`, `?`, `{0,n}`); one
    /// repeated at least once is a concatenation (see [`Part::new`]).
    Repeat {
        piece: Box<Part>,
        /// The groups inside the piece, cleared before each iteration: what
        /// stays is what the last iteration gave them, NULL for one it did
        /// not reach (`x(?:(a)|(b)|y)*` on `xaybz` gives NULL, `b`).
        inside: Vec<usize>,
        /// `(?:piece)*`: whether what is left after an iteration can still be
        /// cut into iterations, which prunes the search once it backs up.
        any_count: meta::Regex,
        max: Option<u32>,
    },
}

impl Rules {
    /// The rules of the pattern `translated` (already in the `regex` crate's
    /// syntax, and compiled by it without error).
    /// `groups` is how many the pattern has: its syntax tree may have fewer,
    /// without the groups of a part repeated `{0}` times.
    pub fn new(translated: &str, groups: usize) -> Result<Rules, TypeError> {
        if groups > GROUPS_MAX {
            return Err(TypeError::ProgramLimitExceeded(format!(
                "a regular expression with {groups} groups is over the limit of {GROUPS_MAX} \
                 for finding what its groups cover; use non-capturing groups (?:…)"
            )));
        }
        let hir = regex_syntax::parse(translated).map_err(|e| invalid(&e))?;
        let ast = regex_syntax::ast::parse::Parser::new()
            .parse(translated)
            .map_err(|e| invalid(&e))?;
        let numbers = Numbers::of(&ast);
        Ok(Rules {
            root: Part::new(&numbers, &hir)?,
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
        // A matched span always dissects; if one did not, the groups would be
        // wrong, and an error is better than a wrong answer.
        if !dissected {
            return Err(TypeError::Internal(
                "the groups of a regular expression's match could not be placed".into(),
            ));
        }
        groups[0] = Some(whole);
        Ok(groups)
    }
}

impl Part {
    fn new(numbers: &Numbers, hir: &Hir) -> Result<Part, TypeError> {
        let node = if hir.properties().explicit_captures_len() == 0 {
            Node::Leaf
        } else {
            match hir.kind() {
                HirKind::Capture(capture) => match numbers.of_group(capture) {
                    Some(index) => Node::Group {
                        index,
                        inner: Box::new(Part::new(numbers, &capture.sub)?),
                    },
                    // A group that only carries a preference: its atom's node.
                    None => Part::new(numbers, &capture.sub)?.node,
                },
                HirKind::Concat(parts) => {
                    let mut items = leaves_merged(parts);
                    if items.len() == 1 {
                        return Part::new(numbers, &items[0]);
                    }
                    let first = items.remove(0);
                    Node::Concat {
                        first: Box::new(Part::new(numbers, &first)?),
                        rest: Box::new(Part::new(numbers, &Hir::concat(items))?),
                    }
                }
                HirKind::Alternation(branches) => Node::Alternation(
                    branches
                        .iter()
                        .map(|branch| Part::new(numbers, branch))
                        .collect::<Result<_, _>>()?,
                ),
                // As PostgreSQL's parser has it (regcomp.c): `x{m,n}` with
                // m ≥ 1 is `x{m-1,n-1}` without its groups, preferring what
                // the quantifier prefers, then `x`, whose groups report the
                // last iteration; `x{0,n}` is an iteration node.
                HirKind::Repetition(repetition) if repetition.min > 0 => {
                    let earlier = Hir::repetition(Repetition {
                        min: repetition.min - 1,
                        max: repetition.max.map(|max| max - 1),
                        greedy: repetition.greedy,
                        sub: Box::new(without_groups(&repetition.sub)),
                    });
                    // A fixed count prefers what its atom does (a `{m,m}`'s
                    // atom carries the count's preference, see `unwrapped`).
                    let fixed = repetition.max == Some(repetition.min) && repetition.greedy;
                    let earlier_shorter = match fixed {
                        true => prefers_shorter(&repetition.sub) == Some(true),
                        false => !repetition.greedy,
                    };
                    Node::Concat {
                        first: Box::new(Part::with_preference(
                            &earlier,
                            earlier_shorter,
                            Node::Leaf,
                        )?),
                        rest: Box::new(Part::new(numbers, unwrapped(&repetition.sub))?),
                    }
                }
                HirKind::Repetition(repetition) => Node::Repeat {
                    piece: Box::new(Part::new(numbers, unwrapped(&repetition.sub))?),
                    inside: numbers.inside(&repetition.sub),
                    any_count: compile(&Hir::repetition(Repetition {
                        min: 0,
                        max: None,
                        greedy: true,
                        sub: repetition.sub.clone(),
                    }))?,
                    max: repetition.max,
                },
                _ => Node::Leaf,
            }
        };
        Part::with_preference(hir, prefers_shorter(hir) == Some(true), node)
    }

    fn with_preference(hir: &Hir, shorter: bool, node: Node) -> Result<Part, TypeError> {
        Ok(Part {
            matcher: compile(hir)?,
            shorter,
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
                max,
            } => {
                let iterations = Iterations {
                    piece,
                    inside,
                    any_count,
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
    any_count: &'a meta::Regex,
    max: Option<u32>,
    cx: &'a Dissection<'a>,
    end: usize,
}

impl Iterations<'_> {
    /// Cuts `[start, end)` into iterations, each as long (or as short) as the
    /// piece prefers (the quantifier's own preference decided how long the
    /// whole is), left to right, backing up to the next candidate where the
    /// rest cannot be cut (as PostgreSQL's `citerdissect`), and dissects the
    /// last one: each iteration clears the groups inside first, so the last
    /// one's are what stays. An empty span is one empty iteration, so that
    /// the groups are set, if the piece matches empty and does not prefer
    /// shorter matches; else none. A loop, not a recursion: a long string has
    /// as many iterations as characters.
    fn cut(&self, start: usize, groups: &mut [Option<Span>]) -> bool {
        let (piece, cx, end) = (self.piece, self.cx, self.end);
        if start == end {
            let once = !piece.shorter && cx.spans(&piece.matcher, (end, end));
            return !once || attempt(groups, |g| self.iteration(g, (end, end)));
        }
        // Where each iteration so far starts, with the end last tried for it.
        let mut cuts: Vec<(usize, Option<usize>)> = vec![(start, None)];
        while let Some(&(at, tried)) = cuts.last() {
            if at == end {
                let last = (cuts[cuts.len() - 2].0, end);
                return attempt(groups, |g| self.iteration(g, last));
            }
            let done = cuts.len() - 1;
            let at_most = self.max.is_some_and(|max| done as u64 >= u64::from(max));
            let next = if at_most || cx.exhausted() {
                None
            } else {
                self.next_cut(at, tried)
            };
            match next {
                Some(cut) => {
                    cuts[done].1 = Some(cut);
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
        let mut candidates: Box<dyn Iterator<Item = usize>> = match (piece.shorter, tried) {
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

/// `hir` with its groups made non-capturing.
fn without_groups(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Capture(capture) => without_groups(&capture.sub),
        HirKind::Concat(parts) => Hir::concat(parts.iter().map(without_groups).collect()),
        HirKind::Alternation(parts) => Hir::alternation(parts.iter().map(without_groups).collect()),
        HirKind::Repetition(repetition) => Hir::repetition(Repetition {
            sub: Box::new(without_groups(&repetition.sub)),
            ..repetition.clone()
        }),
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => hir.clone(),
    }
}

/// PostgreSQL's numbers of the groups of the `regex` crate's syntax tree,
/// whose own numbers count the groups that only carry a preference (see
/// `regex::push_quantifier`) too.
struct Numbers(Vec<Option<usize>>);

impl Numbers {
    /// From the pattern's syntax, which keeps every group (the syntax tree
    /// drops those of a part repeated `{0}` times).
    fn of(ast: &Ast) -> Numbers {
        let mut captures = Vec::new();
        let mut pending = vec![ast];
        while let Some(ast) = pending.pop() {
            match ast {
                Ast::Group(group) => {
                    if let Some(index) = group.capture_index() {
                        let carries_preference = match &group.kind {
                            GroupKind::CaptureName { name, .. } => {
                                name.name.starts_with(SHORTER_GROUP)
                                    || name.name.starts_with(LONGER_GROUP)
                            }
                            _ => false,
                        };
                        captures.push((index as usize, !carries_preference));
                    }
                    pending.push(&group.ast);
                }
                Ast::Concat(concat) => pending.extend(&concat.asts),
                Ast::Alternation(alternation) => pending.extend(&alternation.asts),
                Ast::Repetition(repetition) => pending.push(&repetition.ast),
                _ => {}
            }
        }
        captures.sort_unstable();
        let mut numbers = vec![None; captures.last().map_or(0, |(index, _)| index + 1)];
        let mut next = 1;
        for (index, numbered) in captures {
            if numbered {
                numbers[index] = Some(next);
                next += 1;
            }
        }
        Numbers(numbers)
    }

    /// PostgreSQL's number of `capture`, None for one that carries a preference.
    fn of_group(&self, capture: &Capture) -> Option<usize> {
        self.0.get(capture.index as usize).copied().flatten()
    }

    /// PostgreSQL's numbers of the groups in `hir`.
    fn inside(&self, hir: &Hir) -> Vec<usize> {
        let mut inside = Vec::new();
        let mut pending = vec![hir];
        while let Some(hir) = pending.pop() {
            match hir.kind() {
                HirKind::Capture(capture) => {
                    inside.extend(self.of_group(capture));
                    pending.push(&capture.sub);
                }
                HirKind::Concat(parts) | HirKind::Alternation(parts) => pending.extend(parts),
                HirKind::Repetition(repetition) => pending.push(&repetition.sub),
                HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => {}
            }
        }
        inside
    }
}

/// A repeated atom without the group that carries its quantifier's
/// preference: each iteration follows the atom's own.
fn unwrapped(sub: &Hir) -> &Hir {
    match sub.kind() {
        HirKind::Capture(capture) if preference_of(capture).is_some() => &capture.sub,
        _ => sub,
    }
}

/// The preference a group that only carries one stands for: Some(true) for
/// shorter matches, Some(false) for longer; None for a real group.
fn preference_of(capture: &Capture) -> Option<bool> {
    let name = capture.name.as_deref()?;
    if name.starts_with(SHORTER_GROUP) {
        Some(true)
    } else if name.starts_with(LONGER_GROUP) {
        Some(false)
    } else {
        None
    }
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

/// The parts of a concatenation, each run of parts without a group made one,
/// unless their preferences clash: a part preferring shorter matches after one
/// preferring longer ones (or the other way) starts a run of its own, as
/// PostgreSQL's parser splits its tree there (`a?b+?(b)?`: `a?`, `b+?`, …).
fn leaves_merged(parts: &[Hir]) -> Vec<Hir> {
    let mut items = Vec::new();
    let mut run: Vec<Hir> = Vec::new();
    let mut run_prefers: Option<bool> = None;
    for part in parts {
        let prefers = prefers_shorter(part);
        let clashes = run_prefers.is_some() && prefers.is_some() && prefers != run_prefers;
        let has_groups = part.properties().explicit_captures_len() > 0;
        if (has_groups || clashes) && !run.is_empty() {
            items.push(Hir::concat(std::mem::take(&mut run)));
            run_prefers = None;
        }
        if has_groups {
            items.push(part.clone());
        } else {
            run_prefers = run_prefers.or(prefers);
            run.push(part.clone());
        }
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
        HirKind::Capture(capture) => {
            preference_of(capture).or_else(|| prefers_shorter(&capture.sub))
        }
        // A fixed count (`{m}`, `{m}?`: the translation writes both `{m}`) has
        // its operand's preference; `{m,m}?` prefers shorter. (`{m,m}` reads
        // as `{m}` here; the translation puts its atom in a `__longer` group.)
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
