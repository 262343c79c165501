//! A module the host must refuse at load: its `accounts` row declares `balance` as
//! text, while `sql/bank.sql` (which it carries as its schema, as bank does) makes it
//! a `bigint`. The refusal must name table `accounts` and column `balance`.

use turnstile_sdk::{reducer, Error, Row, Tx};

/// `accounts` with the wrong type for `balance`.
#[derive(Row)]
#[row(table = "accounts")]
pub struct Account {
    #[primary_key]
    pub id: i64,
    pub owner: String,
    pub balance: String,
}

/// A reducer that uses the mismatched row, so that the module is otherwise valid.
#[reducer]
fn open_account(tx: &mut Tx, id: i64, owner: String, balance: String) -> Result<(), Error> {
    tx.insert(&Account { id, owner, balance })
}

turnstile_sdk::module! {
    schema: include_str!("../../../sql/bank.sql"),
    tables: [Account],
    reducers: [open_account],
}
