//! What the macros generate code against: a module's tables, reducers and views, and
//! the `guest` entry points that describe them and dispatch calls to them.
//!
//! `#[reducer]` and `#[view]` turn each function into a [`Reducer`] or [`View`]: its
//! name, its typed parameters, and a shim that decodes the argument row and calls
//! it. `module!` collects them into one static [`Module`] and exports the `guest`
//! interface on top of it. Ids are positions in the lists, so a call is an index,
//! not a lookup.

use crate::bindings::turnstile::module::types::{
    self, Description, Failure, Function, SqlType as WitSqlType, TableUse as WitTableUse,
};
use crate::codec::malformed;
use crate::error::Error;
use crate::row::{Row, Table};
use crate::trap::install_panic_hook;
use crate::tx::{encode_row, Tx};
use crate::value::{Column, SqlType};

/// A table the module uses, as `describe` reports it.
pub struct TableUse {
    /// The table's name in the catalog.
    pub name: &'static str,
    /// Every column, in the table's order, as the module's row type declares it.
    pub columns: &'static [Column],
    /// Positions in `columns` of the primary key, in key order.
    pub primary_key: &'static [u32],
}

impl TableUse {
    /// The table that row type `T` is bound to.
    pub const fn of<T: Table>() -> TableUse {
        TableUse {
            name: T::NAME,
            columns: T::COLUMNS,
            primary_key: T::PRIMARY_KEY,
        }
    }
}

/// A reducer: a function of `#[reducer]` and the shim that calls it.
pub struct Reducer {
    /// The name `CALL` uses: the function's.
    pub name: &'static str,
    /// The parameters after the transaction, named and typed as in the function.
    pub params: &'static [Column],
    /// Decodes the argument row and calls the function.
    pub call: fn(&mut Tx, &[u8]) -> Result<(), Error>,
}

/// A view's rows, each encoded as a row of its result columns.
pub type EncodedRows = Vec<Vec<u8>>;

/// A view: a function of `#[view]` and the shim that calls it.
pub struct View {
    /// The name `SELECT * FROM` uses: the function's.
    pub name: &'static str,
    /// The parameters after the transaction, named and typed as in the function.
    pub params: &'static [Column],
    /// The columns of the rows it returns.
    pub returns: &'static [Column],
    /// Decodes the argument row, calls the function and encodes its rows.
    pub call: fn(&Tx, &[u8]) -> Result<EncodedRows, Error>,
}

/// Everything a module declares, in the order that gives tables, reducers and views
/// their ids.
pub struct Module {
    /// SQL the host runs at load, before it checks `tables`.
    pub schema: &'static str,
    /// The tables; a table's position is its handle.
    pub tables: &'static [TableUse],
    /// The reducers; a reducer's position is its id.
    pub reducers: &'static [Reducer],
    /// The views; a view's position is its id.
    pub views: &'static [View],
}

impl Module {
    /// The `describe` export.
    pub fn describe(&self) -> Description {
        install_panic_hook();
        Description {
            schema: self.schema.to_string(),
            tables: self.tables.iter().map(table_use).collect(),
            reducers: self
                .reducers
                .iter()
                .map(|r| function(r.name, r.params, &[]))
                .collect(),
            views: self
                .views
                .iter()
                .map(|v| function(v.name, v.params, v.returns))
                .collect(),
        }
    }

    /// The `call-reducer` export.
    pub fn call_reducer(&self, id: u32, args: &[u8]) -> Result<(), Failure> {
        install_panic_hook();
        let Some(reducer) = self.reducers.get(id as usize) else {
            return Err(no_such("reducer", id, self.reducers.len()).into_failure());
        };
        (reducer.call)(&mut Tx::new(), args).map_err(Error::into_failure)
    }

    /// The `call-view` export.
    pub fn call_view(&self, id: u32, args: &[u8]) -> Result<EncodedRows, Failure> {
        install_panic_hook();
        let Some(view) = self.views.get(id as usize) else {
            return Err(no_such("view", id, self.views.len()).into_failure());
        };
        (view.call)(&Tx::new(), args).map_err(Error::into_failure)
    }
}

/// What a view function returns; lets `#[view]` name the row type without parsing
/// the function's return type.
pub trait ViewOutput {
    type Row: Row;

    /// The rows, each encoded as a row of the view's result columns.
    fn encode_rows(self) -> Result<EncodedRows, Error>;
}

impl<R: Row> ViewOutput for Result<Vec<R>, Error> {
    type Row = R;

    fn encode_rows(self) -> Result<EncodedRows, Error> {
        Ok(self?.iter().map(encode_row).collect())
    }
}

#[cold]
fn no_such(kind: &str, id: u32, count: usize) -> Error {
    malformed(format!(
        "no {kind} with id {id}: the module has {count} {kind}s"
    ))
}

fn table_use(table: &TableUse) -> WitTableUse {
    WitTableUse {
        name: table.name.to_string(),
        columns: columns(table.columns),
        primary_key: table.primary_key.to_vec(),
    }
}

fn function(name: &str, params: &[Column], returns: &[Column]) -> Function {
    Function {
        name: name.to_string(),
        params: columns(params),
        returns: columns(returns),
    }
}

fn columns(columns: &[Column]) -> Vec<types::Column> {
    columns
        .iter()
        .map(|c| types::Column {
            name: c.name.to_string(),
            sql_type: sql_type(c.sql_type),
            nullable: c.nullable,
        })
        .collect()
}

fn sql_type(sql_type: SqlType) -> WitSqlType {
    match sql_type {
        SqlType::Boolean => WitSqlType::Boolean,
        SqlType::Smallint => WitSqlType::Smallint,
        SqlType::Integer => WitSqlType::Integer,
        SqlType::Bigint => WitSqlType::Bigint,
        SqlType::Real => WitSqlType::Real,
        SqlType::DoublePrecision => WitSqlType::DoublePrecision,
        SqlType::Text => WitSqlType::Text,
        SqlType::Bytea => WitSqlType::Bytea,
        SqlType::Timestamp => WitSqlType::Timestamp,
        SqlType::Timestamptz => WitSqlType::Timestamptz,
        SqlType::Date => WitSqlType::Date,
        SqlType::Uuid => WitSqlType::Uuid,
        SqlType::Jsonb => WitSqlType::Jsonb,
    }
}
