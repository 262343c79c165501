//! What the pg_catalog relations share: Turnstile's objects as PostgreSQL's catalog
//! rows see them — their OIDs, their namespace and owner — and short constructors
//! for the values of catalog columns.
//!
//! # OIDs
//!
//! Built-in types, namespaces and access methods have PostgreSQL's fixed OIDs
//! (`int4` is 23, `pg_catalog` 11, `public` 2200, btree 403), so drivers that
//! hard-code them agree. User objects get OIDs from 16384 up, stable for the life of
//! the object (and across restarts): a table's is its table id, which starts at
//! 16384 and is never reused; indexes, constraints, views and routines, which have
//! no id of their own, take a hash of their name in a range of their own kind
//! (names are unique per kind and never change, so the OID does not either).
//! Every object is owned by role 10, which is shown as the session's user.

use crate::db::{
    CheckConstraint, ColumnSchema, Database, ForeignKey, KeyOrder, OperatorClass,
    ReferentialAction, TableSchema,
};
use crate::sql::binder::{data_type as data_type_of, number_value};
use crate::sql::parse::parse_expr;
use crate::types::{cast, format_type, quote_ident, CastKind, DataType, OidAlias, Value};

use super::pg_opclass;

pub const OID: DataType = DataType::Oid(OidAlias::Oid);
pub const NAME: DataType = DataType::Name;
pub const CHAR: DataType = DataType::InternalChar;
pub const REGPROC: DataType = DataType::Oid(OidAlias::RegProc);
pub const INT2_ARRAY: DataType = DataType::Array(&DataType::Int2);
pub const OID_ARRAY: DataType = DataType::Array(&OID);
pub const TEXT_ARRAY: DataType = DataType::Array(&DataType::Text);
pub const CHAR_ARRAY: DataType = DataType::Array(&CHAR);

pub const PG_CATALOG_OID: u32 = 11;
pub const PUBLIC_OID: u32 = 2200;
pub const INFORMATION_SCHEMA_OID: u32 = 13_183;
/// The bootstrap superuser, owner of everything; shown as the session's user.
pub const OWNER_OID: u32 = 10;
/// PostgreSQL 15's owner of `public`.
pub const DATABASE_OWNER_OID: u32 = 6171;
pub const HEAP_AM_OID: u32 = 2;
pub const BTREE_AM_OID: u32 = 403;
/// The database's OID (PostgreSQL's `postgres` database has 5).
pub const DATABASE_OID: u32 = 5;
/// `pg_collation`'s "default", the collation of every text column.
pub const DEFAULT_COLLATION_OID: u32 = 100;
/// `pg_collation`'s "C", the collation of `name`.
pub const C_COLLATION_OID: u32 = 950;

/// The kinds of user object whose OIDs come from their names, each in a range.
#[derive(Clone, Copy)]
pub enum Kind {
    Index = 1,
    Constraint = 2,
    View = 3,
    Routine = 4,
}

/// The OID of the user object of `kind` called `name`: 2^30 values per kind, above
/// every table id.
pub fn oid_of(kind: Kind, name: &str) -> u32 {
    // FNV-1a: fixed across runs and platforms, unlike std's hasher.
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    ((kind as u32) << 30) | (h & 0x3fff_ffff).max(16_384)
}

/// An index of a table: the primary key or a secondary index.
pub struct IndexInfo<'a> {
    pub name: String,
    pub table: &'a TableSchema,
    pub columns: Vec<usize>,
    /// Each column's order (see `KeyOrder`), as many as `columns`.
    pub key_orders: Vec<KeyOrder>,
    /// Each column's operator class, as many as `columns`.
    pub operator_classes: Vec<OperatorClass>,
    pub unique: bool,
    pub primary: bool,
    /// The index of a UNIQUE constraint (see `IndexSchema::constraint`).
    pub unique_constraint: bool,
}

impl IndexInfo<'_> {
    pub fn oid(&self) -> u32 {
        oid_of(Kind::Index, &self.name)
    }

    /// True if the index backs a constraint, which `pg_constraint` and
    /// information_schema's `table_constraints` and `key_column_usage` list: a
    /// primary key or a UNIQUE constraint, never a `CREATE UNIQUE INDEX`, as in
    /// PostgreSQL.
    pub fn is_constraint(&self) -> bool {
        self.primary || self.unique_constraint
    }

    /// The constraint's type as information_schema and `pg_get_constraintdef`
    /// spell it, and its `pg_constraint.contype`.
    pub fn constraint_type(&self) -> (&'static str, &'static str) {
        if self.primary {
            ("PRIMARY KEY", "p")
        } else {
            ("UNIQUE", "u")
        }
    }
}

/// Every index of every table, primary keys first within a table.
pub fn indexes(db: &Database) -> Vec<IndexInfo<'_>> {
    let mut out = Vec::new();
    for table in db.tables() {
        let schema = table.schema();
        if let Some(pk) = &schema.primary_key {
            out.push(IndexInfo {
                name: schema.primary_key_name(),
                table: schema,
                columns: pk.clone(),
                key_orders: KeyOrder::ascending(pk.len()),
                operator_classes: OperatorClass::defaults(pk.len()),
                unique: true,
                primary: true,
                unique_constraint: false,
            });
        }
        for index in table.indexes() {
            out.push(IndexInfo {
                name: index.schema.name.clone(),
                table: schema,
                columns: index.schema.columns.clone(),
                key_orders: index.schema.key_orders.clone(),
                operator_classes: index.schema.operator_classes.clone(),
                unique: index.schema.unique,
                primary: false,
                unique_constraint: index.schema.constraint,
            });
        }
    }
    out
}

/// A CHECK constraint of a table, as the catalog relations show it.
pub struct CheckInfo<'a> {
    pub table: &'a TableSchema,
    pub check: &'a CheckConstraint,
}

impl CheckInfo<'_> {
    /// Its OID: CHECK constraints are named per table, so the name is the
    /// table's id and the constraint's.
    pub fn oid(&self) -> u32 {
        oid_of(
            Kind::Constraint,
            &format!("{}.{}", self.table.id, self.check.name),
        )
    }

    /// `pg_get_constraintdef`: `CHECK ((a > 0))`, or `CHECK (a > 0)` pretty, as
    /// psql asks for it (one pair of parentheses around a bare column or
    /// constant either way, as PostgreSQL writes them); then ` NO INHERIT`
    /// and ` NOT VALID` if so.
    pub fn definition(&self, pretty: bool) -> String {
        let expr = &self.check.expr;
        let bare = crate::sql::parse::parse_expr(expr).is_ok_and(|e| {
            matches!(
                e,
                sqlparser::ast::Expr::Identifier(_) | sqlparser::ast::Expr::Value(_)
            )
        });
        let body = if pretty || bare {
            format!("({expr})")
        } else {
            format!("(({expr}))")
        };
        let no_inherit = if self.check.no_inherit {
            " NO INHERIT"
        } else {
            ""
        };
        let not_valid = if self.check.validated {
            ""
        } else {
            " NOT VALID"
        };
        format!("CHECK {body}{no_inherit}{not_valid}")
    }

    /// `conkey`: the numbers of the columns it names, or NULL for none.
    pub fn column_numbers(&self) -> Value {
        match crate::sql::exec::columns_named(self.table, &self.check.expr).as_slice() {
            [] => Value::Null,
            columns => column_numbers(columns),
        }
    }
}

/// A foreign key of a table, as the catalog relations show it.
pub struct ForeignKeyInfo<'a> {
    pub table: &'a TableSchema,
    pub key: &'a ForeignKey,
    pub referenced: &'a TableSchema,
}

impl ForeignKeyInfo<'_> {
    /// Its OID, made as a CHECK constraint's is (see [`CheckInfo::oid`]).
    pub fn oid(&self) -> u32 {
        oid_of(
            Kind::Constraint,
            &format!("{}.{}", self.table.id, self.key.name),
        )
    }

    /// `pg_get_constraintdef`: `FOREIGN KEY (a) REFERENCES p(id)`, then what
    /// differs from the defaults, in PostgreSQL's order; `public.p` if
    /// `qualified` (see `system::qualify`).
    pub fn definition(&self, qualified: bool) -> String {
        let key = self.key;
        let mut out = format!(
            "FOREIGN KEY ({}) REFERENCES {}{}({})",
            column_list(self.table, &key.columns),
            if qualified { "public." } else { "" },
            quote_ident(&self.referenced.name),
            column_list(self.referenced, &key.referenced_columns)
        );
        if key.match_full {
            out += " MATCH FULL";
        }
        for (on, action) in [("UPDATE", key.on_update), ("DELETE", key.on_delete)] {
            if action != ReferentialAction::NoAction {
                out += &format!(" ON {on} {}", action_name(action));
            }
        }
        if key.deferrable {
            out += " DEFERRABLE";
        }
        if key.initially_deferred {
            out += " INITIALLY DEFERRED";
        }
        if !key.validated {
            out += " NOT VALID";
        }
        out
    }

    /// The referenced table's primary key, UNIQUE constraint or unique index
    /// whose columns it references.
    pub fn unique_index<'db>(&self, db: &'db Database) -> Option<IndexInfo<'db>> {
        let mut wanted = self.key.referenced_columns.clone();
        wanted.sort_unstable();
        indexes(db)
            .into_iter()
            .filter(|i| i.table.id == self.referenced.id && i.unique)
            .find(|i| {
                let mut columns = i.columns.clone();
                columns.sort_unstable();
                columns == wanted
            })
    }
}

/// What PostgreSQL's `pg_constraint` calls an action (`confdeltype`), and how
/// a definition writes it.
pub fn action_code(action: ReferentialAction) -> &'static str {
    match action {
        ReferentialAction::NoAction => "a",
        ReferentialAction::Restrict => "r",
        ReferentialAction::Cascade => "c",
        ReferentialAction::SetNull => "n",
    }
}

pub fn action_name(action: ReferentialAction) -> &'static str {
    match action {
        ReferentialAction::NoAction => "NO ACTION",
        ReferentialAction::Restrict => "RESTRICT",
        ReferentialAction::Cascade => "CASCADE",
        ReferentialAction::SetNull => "SET NULL",
    }
}

/// Every foreign key of every table, in table then creation order.
pub fn foreign_keys(db: &Database) -> Vec<ForeignKeyInfo<'_>> {
    let mut out = Vec::new();
    for table in db.tables() {
        let schema = table.schema();
        for key in &schema.foreign_keys {
            if let Some(referenced) = db.find_table(key.referenced_table) {
                out.push(ForeignKeyInfo {
                    table: schema,
                    key,
                    referenced: referenced.schema(),
                });
            }
        }
    }
    out
}

/// Every CHECK constraint of every table, in table then creation order.
pub fn checks(db: &Database) -> Vec<CheckInfo<'_>> {
    db.tables()
        .flat_map(|table| {
            let schema = table.schema();
            schema.checks.iter().map(move |check| CheckInfo {
                table: schema,
                check,
            })
        })
        .collect()
}

/// A view's `SELECT` as `pg_get_viewdef` and `pg_views` give it: the text it
/// was created with (as sqlparser prints it, not deparsed with PostgreSQL's
/// line breaks and qualified columns), a space before and `;` after, as there.
pub fn view_definition(query: &str) -> String {
    format!(" {query};")
}

/// `CREATE [UNIQUE] INDEX name ON public.table USING btree (a, b DESC)`, as
/// `pg_get_indexdef`: names quoted where SQL needs it (`"Q T_pkey"`, `("order")`).
pub fn index_definition(index: &IndexInfo<'_>) -> String {
    let columns: Vec<String> = index
        .columns
        .iter()
        .zip(&index.key_orders)
        .zip(&index.operator_classes)
        .map(|((&c, order), &class)| {
            format!(
                "{}{}{}",
                quote_ident(&index.table.columns[c].name),
                pg_opclass::suffix(class),
                order.suffix()
            )
        })
        .collect();
    format!(
        "CREATE {}INDEX {} ON public.{} USING btree ({})",
        if index.unique { "UNIQUE " } else { "" },
        quote_ident(&index.name),
        quote_ident(&index.table.name),
        columns.join(", ")
    )
}

/// `a, "order"`: the names of columns by position, quoted as SQL needs them.
pub fn column_list(table: &TableSchema, columns: &[usize]) -> String {
    columns
        .iter()
        .map(|&c| quote_ident(&table.columns[c].name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A column's default as PostgreSQL's `pg_get_expr` shows it (pg_attrdef,
/// `information_schema.columns`): None for an identity column, whose sequence
/// is no default, and for `DEFAULT NULL` (or `NULL::type`), which PostgreSQL does
/// not keep. A literal shows as the constant it became (see
/// [`constant_text`]): a string read as the column's type (`'none'::text`,
/// `7` for an integer column's `'7'`), a number as its own type (`5`,
/// `'-1'::integer`, `1.5`), a cast literal as the cast's type. An SQL value
/// function shows in capitals (`CURRENT_TIMESTAMP`). Anything else shows as
/// written: PostgreSQL's deparser would also mark the implicit casts inside it
/// (`lower('X'::text)`).
pub fn column_default(column: &ColumnSchema) -> Option<String> {
    use sqlparser::ast::Expr;
    let default = column
        .default
        .as_deref()
        .filter(|_| column.identity.is_none())?;
    let Ok(parsed) = parse_expr(default) else {
        return Some(default.to_owned());
    };
    if let Some(constant) = default_constant(&parsed, column.data_type) {
        return constant.map(|(value, ty)| constant_text(&value, ty));
    }
    Some(match &parsed {
        Expr::Function(f)
            if matches!(f.args, sqlparser::ast::FunctionArguments::None)
                && SQL_VALUE_FUNCTIONS.contains(&f.name.to_string().to_lowercase().as_str()) =>
        {
            f.name.to_string().to_uppercase()
        }
        _ => default.to_owned(),
    })
}

/// The constant a literal default became, with its type: `Some(None)` for
/// NULL; None if `expr` is no literal (or does not read as one).
fn default_constant(
    expr: &sqlparser::ast::Expr,
    column_type: DataType,
) -> Option<Option<(Value, DataType)>> {
    use sqlparser::ast::{Expr, UnaryOperator, Value as Literal};
    // A string is read without the type's modifier (PostgreSQL applies that
    // in a separate, hidden coercion), so `'1.5'` of a numeric(10,2) is 1.5.
    let read = |text: &str, ty: DataType| {
        let ty = ty.without_typmod();
        cast(Value::Text(text.to_owned()), ty, CastKind::Explicit)
            .ok()
            .map(|value| Some((value, ty)))
    };
    let number = |digits: String| {
        let value = number_value(&digits).ok()?;
        let ty = value.data_type();
        Some(Some((value, ty)))
    };
    match expr {
        Expr::Nested(inner) => default_constant(inner, column_type),
        Expr::Value(v) => match &v.value {
            Literal::Null => Some(None),
            Literal::Boolean(b) => Some(Some((Value::Bool(*b), DataType::Bool))),
            Literal::Number(digits, _) => number(digits.clone()),
            Literal::SingleQuotedString(text)
            | Literal::EscapedStringLiteral(text)
            | Literal::DollarQuotedString(sqlparser::ast::DollarQuotedString {
                value: text, ..
            }) => read(text, column_type),
            _ => None,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => match expr.as_ref() {
            Expr::Value(v) => match &v.value {
                Literal::Number(digits, _) => number(format!("-{digits}")),
                _ => None,
            },
            _ => None,
        },
        Expr::Cast {
            expr, data_type, ..
        } => {
            let target = data_type_of(data_type).ok()?;
            match default_constant(expr, target)? {
                None => Some(None),
                Some((value, _)) => cast(value, target.without_typmod(), CastKind::Explicit)
                    .ok()
                    .map(|value| Some((value, target.without_typmod()))),
            }
        }
        _ => None,
    }
}

/// A constant as PostgreSQL's deparser writes it (`get_const_expr`): a
/// non-negative integer, a numeric with a point or an exponent, and a boolean
/// bare; anything else quoted, with its type.
fn constant_text(value: &Value, ty: DataType) -> String {
    let text = value.to_text();
    let bare = match value {
        Value::Bool(b) => return b.to_string(),
        Value::Int4(_) => !text.starts_with('-'),
        Value::Numeric(_) => {
            text.starts_with(|c: char| c.is_ascii_digit()) && text.contains(['.', 'e', 'E'])
        }
        _ => false,
    };
    if bare {
        return text;
    }
    // The type as PostgreSQL names a constant's: without a modifier (`bpchar`,
    // not `character`).
    let type_name = format_type(i64::from(ty.oid()), Some(-1));
    format!("'{}'::{type_name}", text.replace('\'', "''"))
}

/// The SQL value functions, called without parentheses, which PostgreSQL's
/// deparser writes in capitals.
const SQL_VALUE_FUNCTIONS: &[&str] = &[
    "current_date",
    "current_time",
    "current_timestamp",
    "localtime",
    "localtimestamp",
    "current_role",
    "current_user",
    "session_user",
    "user",
    "current_catalog",
    "current_schema",
];

/// The collation a column of type `ty` has: the default one for text types,
/// "C" for `name` (as PostgreSQL's catalogs compare names byte by byte), none
/// for `"char"` and `unknown`; an array has its element's.
pub fn collation_of(ty: DataType) -> u32 {
    match ty {
        DataType::Array(element) => collation_of(*element),
        DataType::Name => C_COLLATION_OID,
        DataType::InternalChar | DataType::Unknown => 0,
        other if other.is_text() => DEFAULT_COLLATION_OID,
        _ => 0,
    }
}

pub fn oid(n: u32) -> Value {
    Value::Int8(i64::from(n))
}

pub fn name(s: &str) -> Value {
    Value::Text(s.to_owned())
}

pub fn int2(n: usize) -> Value {
    Value::Int2(n as i16)
}

pub fn int4(n: i64) -> Value {
    Value::Int4(n as i32)
}

pub fn boolean(b: bool) -> Value {
    Value::Bool(b)
}

/// An `int2[]` of 1-based column numbers.
pub fn column_numbers(columns: &[usize]) -> Value {
    Value::Array(columns.iter().map(|c| int2(c + 1)).collect())
}
