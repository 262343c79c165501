//! Access path selection: which index a scan's predicates let it use.
//!
//! A predicate is usable when it compares a bare column with an expression that is
//! constant for the scan (constants, parameters, outer references) of the same
//! type family, so that the index's order is the comparison's order. Preference:
//! primary key equality on every key column (one map probe) > unique index
//! equality > equality on leading index columns > a range on a leading column >
//! full scan. Equalities an index lookup answers exactly are dropped from the
//! filter; everything else stays in it, so the filter alone is always correct.

use std::ops::Bound;

use crate::db::Table;
use crate::types::{BinaryOp, DataType};

use super::{Access, Expr, IndexRef};

/// How many keys an `IN` list or combination of them may expand to.
const LOOKUP_KEYS_MAX: usize = 1024;

/// One usable predicate: `column op value` (normalized to the column on the left).
struct Sarg<'e> {
    conjunct: usize,
    column: usize,
    kind: SargKind<'e>,
}

enum SargKind<'e> {
    Eq(Vec<&'e Expr>),
    Lower(&'e Expr, bool),
    Upper(&'e Expr, bool),
}

/// Chooses the access path for a scan of `table` filtered by `conjuncts`, and
/// returns the conjuncts still to be checked on each row.
pub fn choose_access(table: &Table, conjuncts: Vec<Expr>) -> (Access, Vec<Expr>) {
    let sargs: Vec<Sarg<'_>> = conjuncts
        .iter()
        .enumerate()
        .filter_map(|(i, c)| sarg(i, c, table.column_types()))
        .collect();
    if sargs.is_empty() {
        return (Access::Full, conjuncts);
    }
    let mut candidates: Vec<(IndexRef, &[usize], bool)> = Vec::new();
    if let Some(pk) = &table.schema().primary_key {
        candidates.push((IndexRef::PrimaryKey, pk, true));
    }
    for (i, index) in table.indexes().iter().enumerate() {
        candidates.push((
            IndexRef::Secondary(i),
            &index.schema.columns,
            index.schema.unique,
        ));
    }
    let mut best: Option<(u8, Access, Vec<usize>)> = None;
    for (index, columns, unique) in candidates {
        if let Some((score, access, used)) = plan_index(index, columns, unique, &sargs) {
            if best.as_ref().is_none_or(|(s, _, _)| score < *s) {
                best = Some((score, access, used));
            }
        }
    }
    let Some((_, access, used)) = best else {
        return (Access::Full, conjuncts);
    };
    let rest = conjuncts
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !used.contains(i))
        .map(|(_, c)| c)
        .collect();
    (access, rest)
}

/// The best use of one index: (score, access, conjuncts answered exactly).
fn plan_index(
    index: IndexRef,
    columns: &[usize],
    unique: bool,
    sargs: &[Sarg<'_>],
) -> Option<(u8, Access, Vec<usize>)> {
    let mut keys: Vec<Vec<Expr>> = vec![Vec::new()];
    let mut used = Vec::new();
    for &column in columns {
        let Some(eq) = sargs.iter().find_map(|s| match &s.kind {
            SargKind::Eq(values) if s.column == column => Some((s.conjunct, values)),
            _ => None,
        }) else {
            break;
        };
        if keys.len() * eq.1.len() > LOOKUP_KEYS_MAX {
            break;
        }
        keys = keys
            .iter()
            .flat_map(|k| {
                eq.1.iter().map(move |v| {
                    let mut k = k.clone();
                    k.push((*v).clone());
                    k
                })
            })
            .collect();
        used.push(eq.0);
    }
    let matched = used.len();
    if matched > 0 {
        let score = match (matched == columns.len(), index, unique) {
            (true, IndexRef::PrimaryKey, _) => 0,
            (true, _, true) => 1,
            _ => 2,
        };
        return Some((score, Access::Lookup { index, keys }, used));
    }
    let first = columns[0];
    let mut lower = Bound::Unbounded;
    let mut upper = Bound::Unbounded;
    for s in sargs.iter().filter(|s| s.column == first) {
        match s.kind {
            SargKind::Lower(e, inclusive) if matches!(lower, Bound::Unbounded) => {
                lower = if inclusive {
                    Bound::Included(e.clone())
                } else {
                    Bound::Excluded(e.clone())
                }
            }
            SargKind::Upper(e, inclusive) if matches!(upper, Bound::Unbounded) => {
                upper = if inclusive {
                    Bound::Included(e.clone())
                } else {
                    Bound::Excluded(e.clone())
                }
            }
            _ => {}
        }
    }
    if matches!((&lower, &upper), (Bound::Unbounded, Bound::Unbounded)) {
        return None;
    }
    Some((
        3,
        Access::Range {
            index,
            lower,
            upper,
        },
        Vec::new(),
    ))
}

/// `conjunct` as a usable predicate, if it is one.
fn sarg<'e>(conjunct: usize, e: &'e Expr, types: &[DataType]) -> Option<Sarg<'e>> {
    match e {
        Expr::Binary {
            op, left, right, ..
        } => {
            let (column, value, flipped) = match (&**left, &**right) {
                (Expr::Column { index, .. }, v) if is_constant(v) => (*index, v, false),
                (v, Expr::Column { index, .. }) if is_constant(v) => (*index, v, true),
                _ => return None,
            };
            if !same_family(types[column], value.ty()) {
                return None;
            }
            let kind = match (op, flipped) {
                (BinaryOp::Eq, _) => SargKind::Eq(vec![value]),
                (BinaryOp::Gt, false) | (BinaryOp::Lt, true) => SargKind::Lower(value, false),
                (BinaryOp::GtEq, false) | (BinaryOp::LtEq, true) => SargKind::Lower(value, true),
                (BinaryOp::Lt, false) | (BinaryOp::Gt, true) => SargKind::Upper(value, false),
                (BinaryOp::LtEq, false) | (BinaryOp::GtEq, true) => SargKind::Upper(value, true),
                _ => return None,
            };
            Some(Sarg {
                conjunct,
                column,
                kind,
            })
        }
        Expr::InList {
            expr,
            list,
            negated: false,
        } => {
            let Expr::Column { index, .. } = &**expr else {
                return None;
            };
            let ok = list
                .iter()
                .all(|v| is_constant(v) && same_family(types[*index], v.ty()));
            ok.then(|| Sarg {
                conjunct,
                column: *index,
                kind: SargKind::Eq(list.iter().collect()),
            })
        }
        _ => None,
    }
}

/// Constant for the duration of a scan: no column of the scanned row, no subquery.
pub fn is_constant(e: &Expr) -> bool {
    !e.references_columns() && !e.has_subquery()
}

/// True if values of the two types compare in the index's order: the store orders
/// integers of any width by value, text and varchar alike, numerics whatever their
/// modifier, everything else only within its own type.
pub fn same_family(a: DataType, b: DataType) -> bool {
    a == b
        || (a.is_integer() && b.is_integer())
        || (matches!(a, DataType::Float4 | DataType::Float8)
            && matches!(b, DataType::Float4 | DataType::Float8))
        || (matches!(a, DataType::Text | DataType::Varchar(_))
            && matches!(b, DataType::Text | DataType::Varchar(_)))
        || (matches!(a, DataType::Numeric(_)) && matches!(b, DataType::Numeric(_)))
}
