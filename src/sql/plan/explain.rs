//! EXPLAIN: one line per plan node, indented like PostgreSQL's text format.

use std::ops::Bound;

use crate::db::Database;
use crate::types::Value;

use super::{
    Access, AggregateFunc, Expr, IndexRef, JoinKind, Plan, SetFunction, SetOpKind, WindowKind,
    WINDOW_FUNCTIONS,
};

/// Appends the lines describing `plan` at depth `depth`.
pub fn explain(plan: &Plan, db: &Database, depth: usize, out: &mut Vec<String>) {
    let names = output_names(plan, db);
    let line = |depth: usize, text: String| {
        if depth == 0 {
            text
        } else {
            format!("{}->  {text}", "      ".repeat(depth - 1) + "  ")
        }
    };
    let detail = |depth: usize, text: String| format!("{}{text}", "      ".repeat(depth) + "  ");
    match plan {
        Plan::Scan {
            table,
            name,
            access,
            filter,
            ..
        } => {
            let columns = column_names(db, *table);
            let head = match access {
                Access::Full => format!("Seq Scan on {name}"),
                Access::Lookup { index, keys } => {
                    let index_name = index_name(db, *table, *index);
                    let cols = index_columns(db, *table, *index);
                    let conds: Vec<String> = keys
                        .iter()
                        .map(|k| {
                            k.iter()
                                .zip(&cols)
                                .map(|(v, c)| format!("{} = {}", columns[*c], show(v, &[])))
                                .collect::<Vec<_>>()
                                .join(" AND ")
                        })
                        .collect();
                    format!(
                        "Index Scan using {index_name} on {name} ({})",
                        conds.join(" OR ")
                    )
                }
                Access::Range {
                    index,
                    lower,
                    upper,
                } => {
                    let index_name = index_name(db, *table, *index);
                    let col = &columns[index_columns(db, *table, *index)[0]];
                    let mut conds = Vec::new();
                    match lower {
                        Bound::Included(e) => conds.push(format!("{col} >= {}", show(e, &[]))),
                        Bound::Excluded(e) => conds.push(format!("{col} > {}", show(e, &[]))),
                        Bound::Unbounded => {}
                    }
                    match upper {
                        Bound::Included(e) => conds.push(format!("{col} <= {}", show(e, &[]))),
                        Bound::Excluded(e) => conds.push(format!("{col} < {}", show(e, &[]))),
                        Bound::Unbounded => {}
                    }
                    format!(
                        "Index Scan using {index_name} on {name} ({})",
                        conds.join(" AND ")
                    )
                }
            };
            out.push(line(depth, head));
            if let Some(f) = filter {
                out.push(detail(depth, format!("Filter: {}", show(f, &columns))));
            }
        }
        Plan::SystemScan { relation, .. } => out.push(line(
            depth,
            format!("System Scan on {}", relation.relation().name),
        )),
        Plan::CallView { routine, .. } => out.push(line(
            depth,
            format!(
                "Function Scan on {} (module {})",
                routine.name, routine.module
            ),
        )),
        Plan::Series { .. } => out.push(line(depth, "Function Scan on generate_series".into())),
        Plan::Unnest { .. } => out.push(line(depth, "Function Scan on unnest".into())),
        Plan::Values { rows, .. } => out.push(line(
            depth,
            if rows.len() == 1 && rows[0].is_empty() {
                "Result".into()
            } else {
                format!("Values Scan ({} rows)", rows.len())
            },
        )),
        Plan::Filter { input, predicate } => {
            out.push(line(depth, "Filter".into()));
            out.push(detail(
                depth,
                format!("Filter: {}", show(predicate, &output_names(input, db))),
            ));
            explain(input, db, depth + 1, out);
        }
        Plan::Project { input, .. } => explain(input, db, depth, out),
        Plan::ProjectSet { input, .. } => {
            out.push(line(depth, "ProjectSet".into()));
            explain(input, db, depth + 1, out);
        }
        Plan::NestedLoop {
            left,
            right,
            kind,
            on,
        }
        | Plan::LateralJoin {
            left,
            right,
            kind,
            on,
        } => {
            out.push(line(depth, format!("Nested Loop{}", join_suffix(*kind))));
            if let Some(on) = on {
                out.push(detail(depth, format!("Join Filter: {}", show(on, &names))));
            }
            explain(left, db, depth + 1, out);
            explain(right, db, depth + 1, out);
        }
        Plan::IndexJoin {
            left,
            table,
            name,
            index,
            keys,
            kind,
            on,
            ..
        } => {
            out.push(line(depth, format!("Nested Loop{}", join_suffix(*kind))));
            if let Some(on) = on {
                out.push(detail(depth, format!("Join Filter: {}", show(on, &names))));
            }
            explain(left, db, depth + 1, out);
            let left_names = output_names(left, db);
            let columns = column_names(db, *table);
            let cols = index_columns(db, *table, *index);
            let conds: Vec<String> = keys
                .iter()
                .zip(&cols)
                .map(|(k, c)| format!("{} = {}", columns[*c], show(k, &left_names)))
                .collect();
            out.push(line(
                depth + 1,
                format!(
                    "Index Scan using {} on {name} ({})",
                    index_name(db, *table, *index),
                    conds.join(" AND ")
                ),
            ));
        }
        Plan::HashJoin {
            left,
            right,
            left_keys,
            right_keys,
            kind,
            on,
        } => {
            out.push(line(depth, format!("Hash{}", hash_join_name(*kind))));
            let (ln, rn) = (output_names(left, db), output_names(right, db));
            let conds: Vec<String> = left_keys
                .iter()
                .zip(right_keys)
                .map(|(l, r)| format!("{} = {}", show(l, &ln), show(r, &rn)))
                .collect();
            out.push(detail(
                depth,
                format!("Hash Cond: ({})", conds.join(" AND ")),
            ));
            if let Some(on) = on {
                out.push(detail(depth, format!("Join Filter: {}", show(on, &names))));
            }
            explain(left, db, depth + 1, out);
            out.push(line(depth + 1, "Hash".into()));
            explain(right, db, depth + 2, out);
        }
        Plan::Window { input, .. } => {
            out.push(line(depth, "WindowAgg".into()));
            explain(input, db, depth + 1, out);
        }
        Plan::Aggregate {
            input, group_by, ..
        } => {
            out.push(line(
                depth,
                if group_by.is_empty() {
                    "Aggregate".into()
                } else {
                    "Hash Aggregate".into()
                },
            ));
            if !group_by.is_empty() {
                let input_names = output_names(input, db);
                let keys: Vec<String> = group_by.iter().map(|g| show(g, &input_names)).collect();
                out.push(detail(depth, format!("Group Key: {}", keys.join(", "))));
            }
            explain(input, db, depth + 1, out);
        }
        Plan::Distinct { input } => {
            out.push(line(depth, "HashAggregate (DISTINCT)".into()));
            explain(input, db, depth + 1, out);
        }
        Plan::DistinctOn { input, .. } => {
            out.push(line(depth, "Unique".into()));
            explain(input, db, depth + 1, out);
        }
        Plan::Sort { input, keys } => {
            out.push(line(depth, "Sort".into()));
            let input_names = output_names(input, db);
            let keys: Vec<String> = keys
                .iter()
                .map(|k| {
                    format!(
                        "{}{}",
                        show(&k.expr, &input_names),
                        if k.descending { " DESC" } else { "" }
                    )
                })
                .collect();
            out.push(detail(depth, format!("Sort Key: {}", keys.join(", "))));
            explain(input, db, depth + 1, out);
        }
        Plan::Limit { input, .. } => {
            out.push(line(depth, "Limit".into()));
            explain(input, db, depth + 1, out);
        }
        // Part of the function's scan, as PostgreSQL shows it.
        Plan::Ordinality { input } => explain(input, db, depth, out),
        Plan::SetOp {
            left,
            right,
            op,
            all,
        } => {
            let name = match op {
                SetOpKind::Union => "Append",
                SetOpKind::Intersect => "SetOp Intersect",
                SetOpKind::Except => "SetOp Except",
            };
            out.push(line(
                depth,
                format!(
                    "{name}{}",
                    if *all || *op != SetOpKind::Union {
                        ""
                    } else {
                        " (distinct)"
                    }
                ),
            ));
            explain(left, db, depth + 1, out);
            explain(right, db, depth + 1, out);
        }
        Plan::RecursiveUnion {
            anchor,
            recursive,
            all,
            ..
        } => {
            let distinct = if *all { "" } else { " (distinct)" };
            out.push(line(depth, format!("Recursive Union{distinct}")));
            explain(anchor, db, depth + 1, out);
            explain(recursive, db, depth + 1, out);
        }
        Plan::WorkingTable { .. } => out.push(line(depth, "WorkTable Scan".into())),
    }
}

/// PostgreSQL's `Hash Join`, `Hash Left Join`, `Hash Full Join`.
fn hash_join_name(kind: JoinKind) -> &'static str {
    match kind {
        JoinKind::Inner => " Join",
        kind => join_suffix(kind),
    }
}

fn join_suffix(kind: JoinKind) -> &'static str {
    match kind {
        JoinKind::Inner => "",
        JoinKind::Left => " Left Join",
        JoinKind::Full => " Full Join",
    }
}

fn column_names(db: &Database, table: crate::db::TableId) -> Vec<String> {
    db.table(table)
        .schema()
        .columns
        .iter()
        .map(|c| c.name.clone())
        .collect()
}

fn index_name(db: &Database, table: crate::db::TableId, index: IndexRef) -> String {
    let t = db.table(table);
    match index {
        IndexRef::PrimaryKey => t.schema().primary_key_name(),
        IndexRef::Secondary(i) => t.indexes()[i].schema.name.clone(),
    }
}

fn index_columns(db: &Database, table: crate::db::TableId, index: IndexRef) -> Vec<usize> {
    let t = db.table(table);
    match index {
        IndexRef::PrimaryKey => t.schema().primary_key.clone().unwrap_or_default(),
        IndexRef::Secondary(i) => t.indexes()[i].schema.columns.clone(),
    }
}

/// Names for the columns a node produces, for printing expressions above it.
fn output_names(plan: &Plan, db: &Database) -> Vec<String> {
    match plan {
        Plan::Scan { table, .. } => column_names(db, *table),
        Plan::SystemScan { relation, .. } => relation
            .relation()
            .columns
            .iter()
            .map(|(name, _)| (*name).to_owned())
            .collect(),
        Plan::CallView { routine, .. } => routine.returns.iter().map(|c| c.name.clone()).collect(),
        Plan::Values { width, .. } => (1..=*width).map(|i| format!("column{i}")).collect(),
        Plan::Series { .. } => vec!["generate_series".to_owned()],
        Plan::Unnest { width, .. } => vec!["unnest".to_owned(); *width],
        Plan::Ordinality { input } => {
            let mut names = output_names(input, db);
            names.push("ordinality".to_owned());
            names
        }
        Plan::Filter { input, .. }
        | Plan::Distinct { input }
        | Plan::DistinctOn { input, .. }
        | Plan::Sort { input, .. }
        | Plan::Limit { input, .. } => output_names(input, db),
        Plan::Project { input, exprs } => {
            let names = output_names(input, db);
            exprs.iter().map(|e| show(e, &names)).collect()
        }
        Plan::ProjectSet { input, functions } => {
            let mut names = output_names(input, db);
            names.extend(functions.iter().map(|f| match f {
                SetFunction::Elements(_) => "unnest".to_owned(),
                SetFunction::Series { .. } => "generate_series".to_owned(),
            }));
            names
        }
        Plan::NestedLoop { left, right, .. }
        | Plan::LateralJoin { left, right, .. }
        | Plan::HashJoin { left, right, .. } => {
            let mut names = output_names(left, db);
            names.extend(output_names(right, db));
            names
        }
        Plan::IndexJoin { left, table, .. } => {
            let mut names = output_names(left, db);
            names.extend(column_names(db, *table));
            names
        }
        Plan::Aggregate {
            input,
            group_by,
            aggregates,
        } => {
            let names = output_names(input, db);
            let mut out: Vec<String> = group_by.iter().map(|g| show(g, &names)).collect();
            out.extend(aggregates.iter().map(|a| {
                let f = aggregate_name(a.func);
                let arg = a
                    .arg
                    .as_ref()
                    .map_or_else(|| "*".to_owned(), |e| show(e, &names));
                format!("{f}({}{arg})", if a.distinct { "DISTINCT " } else { "" })
            }));
            out
        }
        Plan::Window { input, functions } => {
            let mut names = output_names(input, db);
            names.extend(functions.iter().map(|f| {
                let name = match &f.kind {
                    WindowKind::Aggregate(a) => aggregate_name(a.func),
                    kind => WINDOW_FUNCTIONS
                        .iter()
                        .find(|(_, k)| k == kind)
                        .map_or("window", |(name, _)| name),
                };
                format!("{name}() OVER (...)")
            }));
            names
        }
        Plan::SetOp { left, .. } => output_names(left, db),
        Plan::RecursiveUnion { anchor, .. } => output_names(anchor, db),
        Plan::WorkingTable { width, .. } => (1..=*width).map(|i| format!("column{i}")).collect(),
    }
}

fn aggregate_name(func: AggregateFunc) -> &'static str {
    match func {
        AggregateFunc::Count => "count",
        AggregateFunc::Sum => "sum",
        AggregateFunc::Avg => "avg",
        AggregateFunc::Min => "min",
        AggregateFunc::Max => "max",
        AggregateFunc::StringAgg => "string_agg",
        AggregateFunc::ArrayAgg => "array_agg",
        AggregateFunc::JsonbAgg => "jsonb_agg",
        AggregateFunc::JsonbObjectAgg => "jsonb_object_agg",
        AggregateFunc::JsonAgg => "json_agg",
        AggregateFunc::JsonObjectAgg => "json_object_agg",
        AggregateFunc::BoolAnd => "bool_and",
        AggregateFunc::BoolOr => "bool_or",
        AggregateFunc::Variance { population, root } => match (population, root) {
            (false, false) => "var_samp",
            (true, false) => "var_pop",
            (false, true) => "stddev_samp",
            (true, true) => "stddev_pop",
        },
    }
}

/// An expression as SQL-ish text, naming columns from `names`.
pub fn show(e: &Expr, names: &[String]) -> String {
    let s = |e: &Expr| show(e, names);
    match e {
        Expr::Const(Value::Text(t), _) => format!("'{}'", t.replace('\'', "''")),
        Expr::Const(Value::Null, _) => "NULL".into(),
        Expr::Const(v, _) => v.to_text(),
        Expr::Column { index, .. } => names
            .get(*index)
            .cloned()
            .unwrap_or_else(|| format!("${index}")),
        Expr::Outer { index, .. } => format!("outer.{index}"),
        Expr::Param { index, .. } => format!("${}", index + 1),
        Expr::Binary {
            op, left, right, ..
        } => format!("({} {} {})", s(left), op.symbol(), s(right)),
        Expr::Negate(e) => format!("(- {})", s(e)),
        Expr::Not(e) => format!("(NOT {})", s(e)),
        Expr::And(l, r) => format!("({} AND {})", s(l), s(r)),
        Expr::Or(l, r) => format!("({} OR {})", s(l), s(r)),
        Expr::IsNull { expr, negated } => format!(
            "({} IS {}NULL)",
            s(expr),
            if *negated { "NOT " } else { "" }
        ),
        Expr::IsBool {
            expr,
            value,
            negated,
        } => {
            format!(
                "({} IS {}{})",
                s(expr),
                if *negated { "NOT " } else { "" },
                if *value { "TRUE" } else { "FALSE" }
            )
        }
        Expr::IsDistinct {
            left,
            right,
            negated,
        } => {
            format!(
                "({} IS {}DISTINCT FROM {})",
                s(left),
                if *negated { "NOT " } else { "" },
                s(right)
            )
        }
        Expr::Cast { expr, ty } | Expr::ExplicitCast { expr, ty } => format!("({})::{ty}", s(expr)),
        Expr::Function { function, args, .. } => {
            format!(
                "{}({})",
                format!("{function:?}").to_lowercase(),
                args.iter().map(s).collect::<Vec<_>>().join(", ")
            )
        }
        Expr::Case { .. } => "CASE … END".into(),
        Expr::InList {
            expr,
            list,
            negated,
        } => {
            format!(
                "({} {}IN ({}))",
                s(expr),
                if *negated { "NOT " } else { "" },
                list.iter().map(s).collect::<Vec<_>>().join(", ")
            )
        }
        Expr::Like {
            expr,
            pattern,
            case_insensitive,
            negated,
            ..
        } => {
            let op = match (case_insensitive, negated) {
                (false, false) => "~~",
                (false, true) => "!~~",
                (true, false) => "~~*",
                (true, true) => "!~~*",
            };
            format!("({} {op} {})", s(expr), s(pattern))
        }
        Expr::Coalesce { args, .. } => format!(
            "COALESCE({})",
            args.iter().map(s).collect::<Vec<_>>().join(", ")
        ),
        Expr::NullIf { left, right, .. } => format!("NULLIF({}, {})", s(left), s(right)),
        Expr::Extreme { args, greatest, .. } => {
            format!(
                "{}({})",
                if *greatest { "GREATEST" } else { "LEAST" },
                args.iter().map(s).collect::<Vec<_>>().join(", ")
            )
        }
        Expr::ScalarSubquery(_) => "(SubPlan)".into(),
        Expr::ArraySubquery(_) => "ARRAY(SubPlan)".into(),
        Expr::Exists { negated, .. } => format!(
            "{}(SubPlan)",
            if *negated { "NOT EXISTS " } else { "EXISTS " }
        ),
        Expr::InSubquery { expr, negated, .. } => format!(
            "({} {}IN (SubPlan))",
            s(expr),
            if *negated { "NOT " } else { "" }
        ),
    }
}
