//! Predicate pushdown, access paths and join strategies.

use crate::db::Database;
use crate::types::BinaryOp;

use super::access::{choose_access, is_constant, same_family};
use super::{Access, Expr, IndexRef, JoinKind, Plan};

/// Improves a plan as bound: filters move down to the scans and joins they
/// concern, scans pick index access paths, equi-joins use an index on the inner
/// side or a hash table.
pub fn optimize(plan: Plan, db: &Database) -> Plan {
    push(plan, Vec::new(), db)
}

/// Rebuilds `plan` with `conjuncts` (over its output row) applied as low as
/// possible. Conjuncts with subqueries never move: their outer references see the
/// row of the place the binder put them.
fn push(plan: Plan, mut conjuncts: Vec<Expr>, db: &Database) -> Plan {
    match plan {
        Plan::Scan {
            table,
            name,
            access: Access::Full,
            filter,
            width,
            decoded,
        } => {
            if let Some(f) = filter {
                f.into_conjuncts(&mut conjuncts);
            }
            let (sticky, movable): (Vec<Expr>, Vec<Expr>) =
                conjuncts.into_iter().partition(Expr::has_subquery);
            let (access, mut rest) = choose_access(db.table(table), movable);
            rest.extend(sticky);
            Plan::Scan {
                table,
                name,
                access,
                filter: Expr::conjunction(rest),
                width,
                decoded,
            }
        }
        Plan::Filter { input, predicate } => {
            predicate.into_conjuncts(&mut conjuncts);
            let (sticky, movable): (Vec<Expr>, Vec<Expr>) =
                conjuncts.into_iter().partition(Expr::has_subquery);
            wrap(push(*input, movable, db), sticky)
        }
        Plan::NestedLoop {
            left,
            right,
            kind,
            on,
        } => join(*left, *right, kind, on, conjuncts, db),
        Plan::LateralJoin {
            left,
            right,
            kind,
            on,
        } => lateral_join(*left, *right, kind, on, conjuncts, db),
        other => {
            let rebuilt = map_inputs(other, db);
            wrap(rebuilt, conjuncts)
        }
    }
}

fn wrap(plan: Plan, conjuncts: Vec<Expr>) -> Plan {
    match Expr::conjunction(conjuncts) {
        Some(predicate) => Plan::Filter {
            input: Box::new(plan),
            predicate,
        },
        None => plan,
    }
}

/// Optimizes the inputs of a node predicates cannot pass through.
fn map_inputs(plan: Plan, db: &Database) -> Plan {
    let opt = |p: Box<Plan>| Box::new(optimize(*p, db));
    match plan {
        Plan::Project { input, exprs } => {
            let mut input = opt(input);
            decode_only_used_columns(&mut input, &exprs);
            Plan::Project { input, exprs }
        }
        Plan::Aggregate {
            input,
            group_by,
            aggregates,
        } => Plan::Aggregate {
            input: opt(input),
            group_by,
            aggregates,
        },
        Plan::Window { input, functions } => Plan::Window {
            input: opt(input),
            functions,
        },
        Plan::ProjectSet { input, functions } => Plan::ProjectSet {
            input: opt(input),
            functions,
        },
        Plan::Distinct { input } => Plan::Distinct { input: opt(input) },
        Plan::Ordinality { input } => Plan::Ordinality { input: opt(input) },
        Plan::DistinctOn { input, columns } => Plan::DistinctOn {
            input: opt(input),
            columns,
        },
        Plan::Sort { input, keys } => Plan::Sort {
            input: opt(input),
            keys,
        },
        Plan::Limit {
            input,
            limit,
            offset,
        } => Plan::Limit {
            input: opt(input),
            limit,
            offset,
        },
        Plan::SetOp {
            left,
            right,
            op,
            all,
        } => Plan::SetOp {
            left: opt(left),
            right: opt(right),
            op,
            all,
        },
        Plan::RecursiveUnion {
            id,
            anchor,
            recursive,
            all,
        } => Plan::RecursiveUnion {
            id,
            anchor: opt(anchor),
            recursive: opt(recursive),
            all,
        },
        other => other,
    }
}

/// Makes a scan right below a projection decode only the columns the projection
/// and the scan's own filter use: a point select of one column of a wide row
/// decodes that column, and skips the text of the others without copying it.
/// Nothing but the projection reads the scan's rows (the executor projects each
/// row as the scan finds it), so the columns left as NULL are never seen. A
/// subquery in either might read the row as its outer row, which this does not
/// follow, so then every column is decoded.
fn decode_only_used_columns(input: &mut Plan, exprs: &[Expr]) {
    let Plan::Scan {
        filter,
        width,
        decoded,
        ..
    } = input
    else {
        return;
    };
    let uses = || exprs.iter().chain(filter.iter());
    if uses().any(Expr::has_subquery) {
        return;
    }
    let mut used = vec![false; *width];
    for expr in uses() {
        expr.walk_columns(&mut |column| used[column] = true);
    }
    if used.iter().any(|&u| !u) {
        *decoded = Some(used.into_boxed_slice());
    }
}

/// Where a conjunct over a join's row can go.
pub(crate) enum Side {
    Left,
    Right,
    Both,
}

pub(crate) fn side(e: &Expr, left_width: usize) -> Side {
    match e.column_span() {
        None => Side::Left,
        Some((_, hi)) if hi <= left_width => Side::Left,
        Some((lo, _)) if lo >= left_width => Side::Right,
        _ => Side::Both,
    }
}

fn join(
    left: Plan,
    right: Plan,
    kind: JoinKind,
    on: Option<Expr>,
    above: Vec<Expr>,
    db: &Database,
) -> Plan {
    let left_width = left.width();
    let (mut to_left, mut to_right, mut join_on, mut stay) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // Conditions from above: for an inner join they may go anywhere; above a left
    // join only the left side's may move down (the right side's are NULL-padded);
    // above a full join none may (both sides are).
    for c in above {
        match (side(&c, left_width), kind, c.has_subquery()) {
            (_, _, true) | (_, JoinKind::Full, _) => stay.push(c),
            (Side::Left, _, _) => to_left.push(c),
            (Side::Right, JoinKind::Inner, _) => to_right.push(c),
            (Side::Both, JoinKind::Inner, _) => join_on.push(c),
            _ => stay.push(c),
        }
    }
    // The ON condition: for a left join, a left-only part must stay in ON; for
    // a full join, every part (a row it rejects is still in the result).
    let mut on_conjuncts = Vec::new();
    if let Some(on) = on {
        on.into_conjuncts(&mut on_conjuncts);
    }
    for c in on_conjuncts {
        match (side(&c, left_width), kind, c.has_subquery()) {
            (_, _, true) | (_, JoinKind::Full, _) => join_on.push(c),
            (Side::Left, JoinKind::Inner, _) => to_left.push(c),
            (Side::Right, _, _) => to_right.push(c),
            _ => join_on.push(c),
        }
    }
    for c in &mut to_right {
        c.shift_columns(left_width);
    }
    let left = push(left, to_left, db);
    let right = push(right, to_right, db);
    wrap(join_strategy(left, right, kind, join_on, db), stay)
}

/// A lateral join keeps its shape: its right side runs once per left row, so no
/// other join strategy applies. Conditions from above that read only the left
/// row move down to it (for a left join too: the left row is never padded); the
/// right side is optimized on its own, where the left row's values are constants.
fn lateral_join(
    left: Plan,
    right: Plan,
    kind: JoinKind,
    on: Option<Expr>,
    above: Vec<Expr>,
    db: &Database,
) -> Plan {
    let left_width = left.width();
    let (to_left, stay): (Vec<Expr>, Vec<Expr>) = above
        .into_iter()
        .partition(|c| !c.has_subquery() && matches!(side(c, left_width), Side::Left));
    let joined = Plan::LateralJoin {
        left: Box::new(push(left, to_left, db)),
        right: Box::new(optimize(right, db)),
        kind,
        on,
    };
    wrap(joined, stay)
}

/// Picks an index nested loop when the inner side is a table scan whose index
/// the equalities cover, a hash join for other equi-joins, else a nested loop.
fn join_strategy(left: Plan, right: Plan, kind: JoinKind, on: Vec<Expr>, db: &Database) -> Plan {
    let left_width = left.width();
    let pairs: Vec<(usize, Expr, Expr)> = on
        .iter()
        .enumerate()
        .filter_map(|(i, c)| equi_pair(c, left_width).map(|(l, r)| (i, l, r)))
        .collect();
    if pairs.is_empty() {
        return Plan::NestedLoop {
            left: Box::new(left),
            right: Box::new(right),
            kind,
            on: Expr::conjunction(on),
        };
    }
    // An index join finds only the right rows some left row matches; a full
    // join needs the others too.
    if let (
        Plan::Scan {
            table,
            name,
            access: Access::Full,
            filter,
            width,
            ..
        },
        JoinKind::Inner | JoinKind::Left,
    ) = (&right, kind)
    {
        if let Some((index, keys, used)) = index_for_join(db, *table, &pairs) {
            let mut rest: Vec<Expr> = on
                .into_iter()
                .enumerate()
                .filter(|(i, _)| !used.contains(i))
                .map(|(_, c)| c)
                .collect();
            if let Some(mut f) = filter.clone() {
                shift_up(&mut f, left_width);
                rest.push(f);
            }
            return Plan::IndexJoin {
                left: Box::new(left),
                table: *table,
                name: name.clone(),
                index,
                keys,
                kind,
                on: Expr::conjunction(rest),
                right_width: *width,
            };
        }
    }
    let used: Vec<usize> = pairs.iter().map(|p| p.0).collect();
    let (left_keys, right_keys) = pairs.into_iter().map(|(_, l, r)| (l, r)).unzip();
    let rest = on
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !used.contains(i))
        .map(|(_, c)| c)
        .collect();
    Plan::HashJoin {
        left: Box::new(left),
        right: Box::new(right),
        left_keys,
        right_keys,
        kind,
        on: Expr::conjunction(rest),
    }
}

/// `l = r` with `l` over the left row and `r` over the right row (shifted to it),
/// of hash-compatible types.
fn equi_pair(c: &Expr, left_width: usize) -> Option<(Expr, Expr)> {
    let Expr::Binary {
        op: BinaryOp::Eq,
        left,
        right,
        ..
    } = c
    else {
        return None;
    };
    if c.has_subquery() || !same_family(left.ty(), right.ty()) {
        return None;
    }
    let (mut l, mut r) = match (side(left, left_width), side(right, left_width)) {
        (Side::Left, Side::Right) => ((**left).clone(), (**right).clone()),
        (Side::Right, Side::Left) => ((**right).clone(), (**left).clone()),
        _ => return None,
    };
    if is_constant(&l) && is_constant(&r) {
        return None;
    }
    r.shift_columns(left_width);
    let _ = &mut l;
    Some((l, r))
}

/// An index of `table` whose leading columns the equalities cover, preferring the
/// primary key: the index, the key expressions (over the left row), and the
/// positions of the conjuncts it answers.
fn index_for_join(
    db: &Database,
    table: crate::db::TableId,
    pairs: &[(usize, Expr, Expr)],
) -> Option<(IndexRef, Vec<Expr>, Vec<usize>)> {
    let t = db.table(table);
    let mut candidates: Vec<(IndexRef, Vec<usize>)> = Vec::new();
    if let Some(pk) = &t.schema().primary_key {
        candidates.push((IndexRef::PrimaryKey, pk.clone()));
    }
    for (i, index) in t.indexes().iter().enumerate() {
        candidates.push((IndexRef::Secondary(i), index.schema.columns.clone()));
    }
    for (index, columns) in candidates {
        let mut keys = Vec::new();
        let mut used = Vec::new();
        for column in columns {
            let found = pairs
                .iter()
                .find(|(_, _, r)| matches!(r, Expr::Column { index, .. } if *index == column));
            let Some((i, l, _)) = found else { break };
            keys.push(l.clone());
            used.push(*i);
        }
        if !keys.is_empty() {
            return Some((index, keys, used));
        }
    }
    None
}

/// Shifts column positions up by `offset` (a right-row expression to the joined row).
fn shift_up(e: &mut Expr, offset: usize) {
    if let Expr::Column { index, .. } = e {
        *index += offset;
    }
    for c in e.children_mut() {
        shift_up(c, offset);
    }
}
