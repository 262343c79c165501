//! The example module: bank accounts, deposits and transfers, and the richest
//! accounts as a view.
//!
//! ```sql
//! CALL open_account(1, 'alice', 100);
//! CALL transfer(1, 2, 30);
//! SELECT * FROM richest(10);
//! ```
//!
//! Every rule is checked before the first write, so a failed call has nothing to
//! roll back; the host would undo its writes anyway.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::ops::Bound;

use turnstile_sdk::{reducer, view, Error, Row, Tx};

/// SQLSTATE 22003 (numeric_value_out_of_range), as PostgreSQL reports a `bigint`
/// overflow.
const OUT_OF_RANGE_SQLSTATE: &str = "22003";

/// SQLSTATE 2201W (invalid_row_count_in_limit_clause), as PostgreSQL reports
/// `LIMIT -1`.
const NEGATIVE_LIMIT_SQLSTATE: &str = "2201W";

/// How many accounts `richest` reads per scan: enough to make the boundary crossings
/// cheap, few enough that a large table never has to fit in the module's memory.
const SCAN_PAGE_ROWS: u32 = 1024;

/// A row of `accounts` (see `sql/bank.sql`).
#[derive(Row, Debug, Clone, PartialEq, Eq)]
#[row(table = "accounts")]
pub struct Account {
    #[primary_key]
    pub id: i64,
    pub owner: String,
    pub balance: i64,
}

/// Opens account `id`; the host refuses a taken id with SQLSTATE 23505.
#[reducer]
fn open_account(tx: &mut Tx, id: i64, owner: String, balance: i64) -> Result<(), Error> {
    tx.insert(&Account { id, owner, balance })
}

/// Adds `amount` to account `id`.
#[reducer]
fn deposit(tx: &mut Tx, id: i64, amount: i64) -> Result<(), Error> {
    if amount < 0 {
        return Err(Error::raise(format!(
            "deposit amount must not be negative, got {amount}"
        )));
    }
    let mut account = must_get(tx, id)?;
    account.balance = checked_add(account.balance, amount)?;
    tx.update(&account)?;
    Ok(())
}

/// Moves `amount` from account `src` to account `dst`.
#[reducer]
fn transfer(tx: &mut Tx, src: i64, dst: i64, amount: i64) -> Result<(), Error> {
    if amount < 0 {
        return Err(Error::raise(format!(
            "transfer amount must not be negative, got {amount}"
        )));
    }
    let mut from = must_get(tx, src)?;
    // Writing `from` and then `to` for the same account would keep only the credit
    // and create money, so a transfer to itself only checks, and moves nothing.
    let to = if src == dst {
        None
    } else {
        Some(must_get(tx, dst)?)
    };
    if from.balance < amount {
        return Err(Error::raise(format!(
            "insufficient funds: account {src} has {}, transfer needs {amount}",
            from.balance
        )));
    }
    let Some(mut to) = to else {
        return Ok(());
    };
    to.balance = checked_add(to.balance, amount)?;
    from.balance -= amount;
    tx.update(&from)?;
    tx.update(&to)?;
    Ok(())
}

/// The `n` accounts with the largest balances, largest first, ties by id.
#[view]
fn richest(tx: &Tx, n: i32) -> Result<Vec<Account>, Error> {
    let Ok(n) = usize::try_from(n) else {
        return Err(Error::new(
            NEGATIVE_LIMIT_SQLSTATE,
            "LIMIT must not be negative",
        ));
    };
    if n == 0 {
        return Ok(Vec::new());
    }
    // The best `n` so far as (balance, Reverse(id), owner), which orders accounts
    // from poorest to richest (ties: the larger id is the poorer), with the poorest
    // on top of the min-heap so that it is the one a richer account replaces.
    let mut best: BinaryHeap<Reverse<(i64, Reverse<i64>, String)>> = BinaryHeap::new();
    let mut after = Bound::Unbounded;
    loop {
        let page = tx.scan::<Account>((after, Bound::Unbounded), SCAN_PAGE_ROWS)?;
        let full_page = page.len() == SCAN_PAGE_ROWS as usize;
        if let Some(last) = page.last() {
            after = Bound::Excluded(last.id);
        }
        for account in page {
            let rank = Reverse((account.balance, Reverse(account.id), account.owner));
            if best.len() < n {
                best.push(rank);
            } else if best.peek().is_some_and(|poorest| rank < *poorest) {
                best.pop();
                best.push(rank);
            }
        }
        if !full_page {
            break;
        }
    }
    // Ascending order of the reversed ranks is the richest first.
    Ok(best
        .into_sorted_vec()
        .into_iter()
        .map(|Reverse((balance, Reverse(id), owner))| Account { id, owner, balance })
        .collect())
}

fn must_get(tx: &Tx, id: i64) -> Result<Account, Error> {
    tx.get::<Account>(&id)?
        .ok_or_else(|| Error::raise(format!("no account {id}")))
}

fn checked_add(balance: i64, amount: i64) -> Result<i64, Error> {
    balance
        .checked_add(amount)
        .ok_or_else(|| Error::new(OUT_OF_RANGE_SQLSTATE, "bigint out of range"))
}

turnstile_sdk::module! {
    schema: include_str!("../../../sql/bank.sql"),
    tables: [Account],
    reducers: [open_account, deposit, transfer],
    views: [richest],
}
