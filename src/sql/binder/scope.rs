//! Name resolution: which columns a query can see, and under which names.

use crate::db::{TableId, TableSchema};
use crate::sql::plan::Expr;
use crate::sql::{ColumnInfo, SqlError};
use crate::types::DataType;

/// One column visible in a query's FROM clause (or produced by a subquery).
#[derive(Debug, Clone)]
pub struct ScopeColumn {
    /// The name of the relation it belongs to (alias if given), for `t.c` and `t.*`.
    pub relation: Option<String>,
    pub name: String,
    pub ty: DataType,
    /// Where the column is stored, for the RowDescription (0 if computed).
    pub table_oid: TableId,
    pub column_number: i16,
    /// Hidden from `*` and from unqualified lookup: the copy of a `JOIN … USING`
    /// column that is not the merged one.
    pub hidden: bool,
    /// Where `*` puts the column: by rank, then in row order. Ranks differ
    /// only once a `JOIN … USING` has put its merged columns first among the
    /// join's columns, as PostgreSQL does (each later join's before the earlier
    /// ones'), after any FROM items before the join (see [`Scope::extend`] and
    /// [`Scope::set_star_order`]).
    pub star_rank: i32,
    /// A column of the rows a grouped query groups that is not one of its group
    /// keys, as a subquery in that query's outputs sees it: found by name (so
    /// that the name is not taken from a query further out), but an error to
    /// use, 42803 (see [`Scope::over_groups`]).
    pub ungrouped: bool,
    /// A column of a table this query names in its FROM, as opposed to a
    /// view's or a subquery's output column (which may carry a table's OID for
    /// the row description): only these depend on their table's primary key,
    /// so that grouping by it groups by them too.
    pub table_row: bool,
}

/// The columns of one query level, in row order.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub columns: Vec<ScopeColumn>,
    /// The relations of the FROM clause that have no columns at all (a table
    /// whose columns were all dropped, a subquery of one), which no column
    /// names but `*` and `t.*` still accept, as PostgreSQL does.
    pub empty_relations: Vec<String>,
    /// The relations of one column that a function in FROM returns, whose
    /// name alone also names that column where no column has the name, as
    /// PostgreSQL reads `e` in `FROM jsonb_array_elements(x) e` as the
    /// element (a whole-row reference to a scalar).
    pub scalar_relations: Vec<String>,
    /// The relations an outer join may null-extend, whose whole row
    /// (`row_to_json(t)`) is NULL where it does (see `Binder::whole_row`).
    pub null_extended: Vec<String>,
    /// The tables and system relations of the FROM clause, which have the
    /// system column `tableoid` (see `Binder::bind_tableoid`).
    pub stored_relations: Vec<StoredRelation>,
}

/// A table or system relation named in a FROM clause: what its system column
/// `tableoid` is.
#[derive(Debug, Clone)]
pub struct StoredRelation {
    /// The name the query gives it (its alias, if it has one).
    pub relation: String,
    /// Its `pg_class` OID, the value of `tableoid`.
    pub oid: u32,
    /// The position, among the relation's own columns, of one that is never
    /// NULL in its rows (a primary key's, a catalog's `oid`), which tells a row
    /// an outer join null-extended from one of the relation's.
    pub never_null: Option<usize>,
}

/// The result of looking up a column name in one scope.
pub enum Lookup {
    Found(usize),
    NotFound,
}

impl Scope {
    /// The scope of a table's row, its columns visible under `relation` (the
    /// table's name or its alias).
    pub fn of_table(schema: &TableSchema, relation: String) -> Scope {
        Scope {
            empty_relations: if schema.columns.is_empty() {
                vec![relation.clone()]
            } else {
                Vec::new()
            },
            columns: schema
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| ScopeColumn {
                    relation: Some(relation.clone()),
                    name: c.name.clone(),
                    ty: c.data_type,
                    table_oid: schema.id,
                    column_number: i as i16 + 1,
                    hidden: false,
                    star_rank: 0,
                    ungrouped: false,
                    table_row: true,
                })
                .collect(),
            scalar_relations: Vec::new(),
            null_extended: Vec::new(),
            stored_relations: vec![StoredRelation {
                relation,
                oid: schema.id,
                never_null: schema.columns.iter().position(|c| !c.nullable),
            }],
        }
    }

    pub fn width(&self) -> usize {
        self.columns.len()
    }

    /// Appends the columns of another scope (the right side of a join), which
    /// `*` lists after this one's, each side in its own order.
    pub fn extend(&mut self, other: Scope) {
        let after = self
            .columns
            .iter()
            .map(|c| c.star_rank + 1)
            .max()
            .unwrap_or(0);
        let first = other.columns.iter().map(|c| c.star_rank).min().unwrap_or(0);
        self.columns
            .extend(other.columns.into_iter().map(|c| ScopeColumn {
                star_rank: c.star_rank - first + after,
                ..c
            }));
        self.empty_relations.extend(other.empty_relations);
        self.scalar_relations.extend(other.scalar_relations);
        self.null_extended.extend(other.null_extended);
        self.stored_relations.extend(other.stored_relations);
    }

    /// Column positions in the order `*` lists them: by star rank, then in row
    /// order.
    pub fn star_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.columns.len()).collect();
        order.sort_by_key(|&i| self.columns[i].star_rank);
        order
    }

    /// Makes `*` list the columns in `order`, which names every position once.
    pub fn set_star_order(&mut self, order: &[usize]) {
        for (rank, &i) in (0..).zip(order) {
            self.columns[i].star_rank = rank;
        }
    }

    pub fn has_relation(&self, relation: &str) -> bool {
        self.columns
            .iter()
            .any(|c| c.relation.as_deref() == Some(relation))
            || self.empty_relations.iter().any(|r| r == relation)
    }

    /// True if the FROM clause names no relation at all (`SELECT *` is then an
    /// error).
    pub fn has_no_relations(&self) -> bool {
        self.columns.is_empty() && self.empty_relations.is_empty()
    }

    /// Finds `relation.name` or an unqualified `name`; 42702 if it is ambiguous.
    pub fn lookup(&self, relation: Option<&str>, name: &str) -> Result<Lookup, SqlError> {
        let mut found = None;
        for (i, c) in self.columns.iter().enumerate() {
            let matches = match relation {
                Some(r) => c.relation.as_deref() == Some(r) && c.name == name,
                None => !c.hidden && c.name == name,
            };
            if matches {
                if found.is_some() {
                    let shown = match relation {
                        Some(r) => format!("{r}.{name}"),
                        None => name.to_owned(),
                    };
                    return Err(SqlError::AmbiguousColumn(shown));
                }
                found = Some(i);
            }
        }
        if found.is_none() && relation.is_none() && self.scalar_relations.iter().any(|r| r == name)
        {
            found = self
                .columns
                .iter()
                .position(|c| c.relation.as_deref() == Some(name));
        }
        Ok(found.map_or(Lookup::NotFound, Lookup::Found))
    }

    /// The scope through which a subquery in a grouped query's outputs (select
    /// list, HAVING, ORDER BY) sees that query's current row, a group: the row
    /// is the group keys then the aggregates, so a group key that is a plain
    /// column of this scope keeps its name at its key's position. Every other
    /// column stays visible by name, marked ungrouped, as PostgreSQL resolves
    /// the name there and refuses it rather than looking further out.
    pub fn over_groups(&self, group_keys: &[Expr]) -> Scope {
        let mut keyed = vec![false; self.width()];
        let mut columns: Vec<ScopeColumn> = group_keys
            .iter()
            .map(|key| match key {
                Expr::Column { index, .. } if !keyed[*index] => {
                    keyed[*index] = true;
                    self.columns[*index].clone()
                }
                // An expression (or a column grouped twice) is reached by no
                // name: no relation, and hidden from unqualified lookup.
                _ => ScopeColumn {
                    relation: None,
                    name: String::new(),
                    ty: key.ty(),
                    table_oid: 0,
                    column_number: 0,
                    hidden: true,
                    star_rank: 0,
                    ungrouped: false,
                    table_row: false,
                },
            })
            .collect();
        columns.extend(
            self.columns
                .iter()
                .zip(&keyed)
                .filter(|(_, &k)| !k)
                .map(|(c, _)| ScopeColumn {
                    ungrouped: true,
                    ..c.clone()
                }),
        );
        Scope {
            columns,
            empty_relations: self.empty_relations.clone(),
            scalar_relations: self.scalar_relations.clone(),
            null_extended: self.null_extended.clone(),
            stored_relations: Vec::new(),
        }
    }

    /// The column as a result column description.
    pub fn info(&self, index: usize, name: String) -> ColumnInfo {
        let c = &self.columns[index];
        ColumnInfo {
            name,
            data_type: c.ty,
            table_oid: c.table_oid,
            column_number: c.column_number,
        }
    }

    /// A scope of computed columns with these names and types, under `relation`.
    pub fn computed(
        relation: Option<String>,
        columns: impl IntoIterator<Item = (String, DataType)>,
    ) -> Scope {
        let columns: Vec<ScopeColumn> = columns
            .into_iter()
            .map(|(name, ty)| ScopeColumn {
                relation: relation.clone(),
                name,
                ty,
                table_oid: 0,
                column_number: 0,
                hidden: false,
                star_rank: 0,
                ungrouped: false,
                table_row: false,
            })
            .collect();
        Scope {
            empty_relations: match relation {
                Some(relation) if columns.is_empty() => vec![relation],
                _ => Vec::new(),
            },
            columns,
            scalar_relations: Vec::new(),
            null_extended: Vec::new(),
            stored_relations: Vec::new(),
        }
    }
}
