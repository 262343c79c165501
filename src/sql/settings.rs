//! Session settings: what `SET`, `SHOW` and `RESET` read and write.
//!
//! Drivers set a handful of PostgreSQL settings when they connect (client_encoding,
//! DateStyle, TimeZone, extra_float_digits, application_name, …) and some read them
//! back, so each known setting is validated and normalized the way PostgreSQL does
//! and `SHOW` prints what PostgreSQL would print. Settings whose only effect would be
//! behaviour Turnstile does not have (`standard_conforming_strings = off`, a DateStyle
//! other than ISO) are refused with 0A000 rather than accepted and ignored, because a
//! driver that believes them would misread our output.
//!
//! Names are case-insensitive. A name with a dot (`myapp.tenant`) is a custom setting,
//! accepted and stored as PostgreSQL accepts placeholders; any other unknown name is
//! 42704. Settings marked `report` are sent to the client as ParameterStatus when they
//! change, as PostgreSQL does for its `GUC_REPORT` settings.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::SqlError;
use crate::turnstile::Durability;
use crate::types::{TextStyle, TimeZone, DEFAULT_EXTRA_FLOAT_DIGITS};

/// What PostgreSQL version clients are told they talk to. Drivers pick features by it.
pub const SERVER_VERSION: &str = "15.0 (Turnstile 0.1.0)";
/// `server_version_num` matching [`SERVER_VERSION`].
pub const SERVER_VERSION_NUM: &str = "150000";

/// What the server decides for every session before the client says anything.
#[derive(Debug, Clone)]
pub struct SessionDefaults {
    /// The user name from the startup packet; `session_authorization` shows it.
    pub user: String,
    /// `--statement-timeout` in milliseconds (0 = off), the session's starting value.
    pub statement_timeout_ms: u64,
    /// `--max-connections`, shown read-only as `max_connections`.
    pub max_connections: usize,
    /// `--synchronous-commit`: whether sessions start with `synchronous_commit = on`
    /// (acknowledge writes once durable) or `off` (once visible).
    pub synchronous_commit: bool,
}

/// How a setting's value is checked and normalized.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Fixed for the server's lifetime: `SET` is 55P02.
    ReadOnly,
    /// Any text, stored as given.
    Any,
    /// Only `UTF8` and its spellings.
    Encoding,
    /// ISO output with MDY input order, in any of PostgreSQL's spellings.
    DateStyle,
    /// A zone [`TimeZone::parse`] accepts.
    TimeZone,
    /// An integer in a range.
    Int { min: i64, max: i64 },
    /// A duration in milliseconds, with optional units (`5s`, `100ms`, `1min`).
    Millis,
    /// One of a fixed list of words (lowercased).
    OneOf(&'static [&'static str]),
    /// A boolean, in any of PostgreSQL's spellings, shown as `on` or `off`.
    Bool,
    /// A setting PostgreSQL allows to change but whose other values Turnstile does not
    /// implement: this one value (or a synonym of it) is accepted, others are 0A000.
    Only(&'static str),
    /// A transaction isolation level; every level is served as serializable.
    Isolation,
}

/// One known setting.
struct Spec {
    /// The canonical spelling, used by `SHOW` and ParameterStatus.
    name: &'static str,
    kind: Kind,
    /// Sent as ParameterStatus at startup and whenever it changes.
    report: bool,
    /// The default, unless [`Settings::new`] fills it from the server or startup.
    default: &'static str,
    /// The description `SHOW ALL` prints.
    description: &'static str,
}

const LEVELS: &[&str] = &[
    "serializable",
    "repeatable read",
    "read committed",
    "read uncommitted",
];

const SPECS: &[Spec] = &[
    spec(
        "application_name",
        Kind::Any,
        true,
        "",
        "Sets the application name to be reported in statistics and logs.",
    ),
    spec(
        "bytea_output",
        Kind::Only("hex"),
        false,
        "hex",
        "Sets the output format for bytea.",
    ),
    // Turnstile has no function bodies to check: both values are true.
    spec(
        "check_function_bodies",
        Kind::Bool,
        false,
        "on",
        "Check routine bodies during CREATE FUNCTION and CREATE PROCEDURE.",
    ),
    spec(
        "client_encoding",
        Kind::Encoding,
        true,
        "UTF8",
        "Sets the client's character set encoding.",
    ),
    spec(
        "client_min_messages",
        Kind::OneOf(&[
            "debug5", "debug4", "debug3", "debug2", "debug1", "log", "notice", "warning", "error",
        ]),
        false,
        "notice",
        "Sets the message levels that are sent to the client.",
    ),
    spec(
        "DateStyle",
        Kind::DateStyle,
        true,
        "ISO, MDY",
        "Sets the display format for date and time values.",
    ),
    // Turnstile keeps tables in memory, in one form: PostgreSQL's default table
    // access method and tablespace are the only ones there are (pg_dump sets both).
    spec(
        "default_table_access_method",
        Kind::OneOf(&["heap"]),
        false,
        "heap",
        "Sets the default table access method for new tables.",
    ),
    spec(
        "default_tablespace",
        Kind::OneOf(&["", "pg_default"]),
        false,
        "",
        "Sets the default tablespace to create tables and indexes in.",
    ),
    spec(
        "default_transaction_isolation",
        Kind::Isolation,
        false,
        "serializable",
        "Sets the transaction isolation level of each new transaction.",
    ),
    spec(
        "default_transaction_read_only",
        Kind::Only("off"),
        true,
        "off",
        "Sets the default read-only status of new transactions.",
    ),
    spec(
        "extra_float_digits",
        Kind::Int { min: -15, max: 3 },
        false,
        "1",
        "Sets the number of digits displayed for floating-point values.",
    ),
    spec(
        "idle_in_transaction_session_timeout",
        Kind::Millis,
        false,
        "0",
        "Sets the maximum allowed idle time between queries, when in a transaction.",
    ),
    spec(
        "idle_session_timeout",
        Kind::Millis,
        false,
        "0",
        "Sets the maximum allowed idle time between queries, when not in a transaction.",
    ),
    spec(
        "IntervalStyle",
        Kind::Only("postgres"),
        true,
        "postgres",
        "Sets the display format for interval values.",
    ),
    // Turnstile compiles no query: `on` (PostgreSQL's default) allows a JIT it does
    // not have, as PostgreSQL built without LLVM shows it, and `off` (which asyncpg
    // sets) is what happens either way, so both are true.
    spec("jit", Kind::Bool, false, "on", "Allow JIT compilation."),
    spec(
        "lc_messages",
        Kind::Any,
        false,
        "C",
        "Sets the language in which messages are displayed.",
    ),
    spec(
        "lc_monetary",
        Kind::Any,
        false,
        "C",
        "Sets the locale for formatting monetary amounts.",
    ),
    spec(
        "lc_numeric",
        Kind::Any,
        false,
        "C",
        "Sets the locale for formatting numbers.",
    ),
    spec(
        "lc_time",
        Kind::Any,
        false,
        "C",
        "Sets the locale for formatting date and time values.",
    ),
    // Ends a wait for the write lock (55P03): of a statement, a call, a COPY, a
    // block's COMMIT, or a statement rehearsed in a block (one after the
    // block's DDL, LOCK TABLE then). A read, and a block's statement run on
    // its own changes under the read lock, wait only while a write holds the
    // lock, which is short (ARCHITECTURE.md, invariant 1), and are not
    // withdrawn.
    spec(
        "lock_timeout",
        Kind::Millis,
        false,
        "0",
        "Sets the maximum allowed duration of any wait for a lock.",
    ),
    // No table has row security policies, so `off` (fail a query a policy would
    // filter) and `on` behave alike.
    spec(
        "row_security",
        Kind::Bool,
        false,
        "on",
        "Enable row security.",
    ),
    spec(
        "search_path",
        Kind::Any,
        false,
        "\"$user\", public",
        "Sets the schema search order for names that are not schema-qualified.",
    ),
    spec(
        "standard_conforming_strings",
        Kind::Only("on"),
        true,
        "on",
        "Causes '...' strings to treat backslashes literally.",
    ),
    spec(
        "statement_timeout",
        Kind::Millis,
        false,
        "0",
        "Sets the maximum allowed duration of any statement.",
    ),
    // Scans of a table start at its beginning whatever this says: there are no
    // concurrent heap scans to synchronize with (pg_dump turns it off).
    spec(
        "synchronize_seqscans",
        Kind::Bool,
        false,
        "on",
        "Enable synchronized sequential scans.",
    ),
    spec(
        "synchronous_commit",
        Kind::OneOf(&["on", "off", "local", "remote_write", "remote_apply"]),
        false,
        "on",
        "Sets the current transaction's synchronization level.",
    ),
    spec(
        "turnstile.confirmed_reads",
        Kind::Bool,
        false,
        "off",
        "Sends a query's rows only once every commit it could see is durable.",
    ),
    spec(
        "TimeZone",
        Kind::TimeZone,
        true,
        "UTC",
        "Sets the time zone for displaying and interpreting time stamps.",
    ),
    spec(
        "transaction_isolation",
        Kind::Isolation,
        false,
        "serializable",
        "Sets the current transaction's isolation level.",
    ),
    // Turnstile has no xml type for the option to apply to.
    spec(
        "xmloption",
        Kind::OneOf(&["content", "document"]),
        false,
        "content",
        "Sets whether XML data in implicit parsing and serialization operations is to be considered as documents or content fragments.",
    ),
    spec(
        "block_size",
        Kind::ReadOnly,
        false,
        "8192",
        "Shows the size of a disk block.",
    ),
    spec(
        "in_hot_standby",
        Kind::ReadOnly,
        true,
        "off",
        "Shows whether hot standby is currently active.",
    ),
    spec(
        "integer_datetimes",
        Kind::ReadOnly,
        true,
        "on",
        "Shows whether datetimes are integer based.",
    ),
    spec(
        "is_superuser",
        Kind::ReadOnly,
        true,
        "on",
        "Shows whether the current user is a superuser.",
    ),
    spec(
        "lc_collate",
        Kind::ReadOnly,
        false,
        "C",
        "Shows the collation order locale.",
    ),
    spec(
        "lc_ctype",
        Kind::ReadOnly,
        false,
        "C",
        "Shows the character classification and case conversion locale.",
    ),
    spec(
        "max_connections",
        Kind::ReadOnly,
        false,
        "100",
        "Sets the maximum number of concurrent connections.",
    ),
    spec(
        "max_identifier_length",
        Kind::ReadOnly,
        false,
        "63",
        "Shows the maximum identifier length.",
    ),
    spec(
        "server_encoding",
        Kind::ReadOnly,
        true,
        "UTF8",
        "Shows the server (database) character set encoding.",
    ),
    spec(
        "server_version",
        Kind::ReadOnly,
        true,
        SERVER_VERSION,
        "Shows the server version.",
    ),
    spec(
        "server_version_num",
        Kind::ReadOnly,
        false,
        SERVER_VERSION_NUM,
        "Shows the server version as an integer.",
    ),
    spec(
        "session_authorization",
        Kind::ReadOnly,
        true,
        "",
        "Sets the session user name.",
    ),
    spec(
        "transaction_read_only",
        Kind::ReadOnly,
        false,
        "off",
        "Shows whether the current transaction is read-only.",
    ),
];

const fn spec(
    name: &'static str,
    kind: Kind,
    report: bool,
    default: &'static str,
    description: &'static str,
) -> Spec {
    Spec {
        name,
        kind,
        report,
        default,
        description,
    }
}

fn find_spec(name: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.name.eq_ignore_ascii_case(name))
}

/// A value given to `SET`.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingValue {
    /// `SET x TO DEFAULT` (the same as `RESET x`).
    Default,
    /// The value as text; several values (`SET search_path = a, b`) are joined by ", ".
    Text(String),
}

/// Every known setting with its built-in default and description, sorted by name:
/// what `pg_settings` shows (a session's own values are what `SHOW` and
/// `current_setting` answer).
pub fn builtin_defaults() -> Vec<(&'static str, &'static str, &'static str)> {
    let mut all: Vec<_> = SPECS
        .iter()
        .map(|s| (s.name, s.default, s.description))
        .collect();
    all.sort_by_key(|(name, _, _)| name.to_ascii_lowercase());
    all
}

/// One session's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Current values of known settings by canonical name, and of custom ones by
    /// lowercased name.
    /// Shared until written (copy on write): a transaction block keeps copies of
    /// the settings at BEGIN, which must cost no more than a reference count.
    values: Arc<BTreeMap<String, String>>,
    /// The values `RESET` returns to: the built-in defaults overridden by the server
    /// configuration and by the client's startup packet, as in PostgreSQL.
    defaults: Arc<BTreeMap<String, String>>,
    /// `TimeZone`, parsed once when set rather than for every statement.
    time_zone: TimeZone,
    /// `extra_float_digits`, parsed once when set: every float sent as text reads it.
    extra_float_digits: i32,
    /// `statement_timeout` and `lock_timeout` in milliseconds, parsed once when
    /// set: every statement's interrupt reads them.
    statement_timeout_ms: u64,
    lock_timeout_ms: u64,
    /// `idle_in_transaction_session_timeout` and `idle_session_timeout` in
    /// milliseconds, parsed once when set: the wire layer asks each time it
    /// waits for a query.
    idle_in_transaction_timeout_ms: u64,
    idle_session_timeout_ms: u64,
    /// `synchronous_commit`, parsed once when set: every statement's context reads
    /// it, and looking it up in `values` (a string-keyed map) cost ~500 instructions
    /// a statement (callgrind, pgbench -M prepared `SELECT 1`).
    durability: Durability,
    /// `turnstile.confirmed_reads`, parsed once when set, for the same reason.
    confirmed_reads: bool,
    /// The session's user (from the startup packet), shared with every statement's
    /// context for reducers' `caller()`.
    user: Arc<str>,
    /// The database named in the startup packet (the user's name if none, as in
    /// PostgreSQL): what `current_database()` and `pg_database` show.
    database: Arc<str>,
    /// Reported settings changed since the last [`Settings::take_changes`], so the
    /// wire layer can send ParameterStatus for them.
    changed: Vec<&'static str>,
    /// Inside a transaction block: the settings as its COMMIT leaves them, which
    /// `SET` changes too and `SET LOCAL` does not. Part of the settings, so that a
    /// savepoint keeps it with them and `ROLLBACK TO` restores both. None outside
    /// blocks.
    at_commit: Option<Arc<Settings>>,
}

/// A normalized `extra_float_digits` value. `normalize` checked that it is an
/// integer in range, so the fallback (PostgreSQL's default) is never taken.
fn parse_extra_float_digits(text: &str) -> i32 {
    text.parse().unwrap_or(DEFAULT_EXTRA_FLOAT_DIGITS)
}

/// A normalized `synchronous_commit` value as a [`Durability`]: `off` acknowledges
/// at visibility; `on` and its synonyms at durability.
fn parse_durability(text: &str) -> Durability {
    match text {
        "off" => Durability::Visible,
        _ => Durability::Durable,
    }
}

impl Settings {
    /// The settings a new session starts with: built-in defaults, then the server's,
    /// then the client's startup parameters (`options=-c x=y` included). An invalid
    /// startup parameter is an error, which the wire layer sends as FATAL.
    pub fn new<'a>(
        defaults: &SessionDefaults,
        startup: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Settings, SqlError> {
        let mut values: BTreeMap<String, String> = SPECS
            .iter()
            .map(|s| (s.name.to_owned(), s.default.to_owned()))
            .collect();
        values.insert("session_authorization".into(), defaults.user.clone());
        values.insert(
            "max_connections".into(),
            defaults.max_connections.to_string(),
        );
        values.insert(
            "statement_timeout".into(),
            format_millis(defaults.statement_timeout_ms),
        );
        let synchronous_commit = if defaults.synchronous_commit {
            "on"
        } else {
            "off"
        };
        values.insert("synchronous_commit".into(), synchronous_commit.into());
        let extra_float_digits = parse_extra_float_digits(&values["extra_float_digits"]);
        let values = Arc::new(values);
        let mut settings = Settings {
            defaults: values.clone(),
            values,
            time_zone: TimeZone::Utc,
            extra_float_digits,
            statement_timeout_ms: defaults.statement_timeout_ms,
            lock_timeout_ms: 0,
            idle_in_transaction_timeout_ms: 0,
            idle_session_timeout_ms: 0,
            durability: parse_durability(synchronous_commit),
            confirmed_reads: false,
            user: defaults.user.as_str().into(),
            database: defaults.user.as_str().into(),
            changed: Vec::new(),
            at_commit: None,
        };
        settings.confirmed_reads = settings.values["turnstile.confirmed_reads"] == "on";
        for (name, value) in startup {
            settings.apply_startup(name, value)?;
        }
        settings.defaults = settings.values.clone();
        settings.changed.clear();
        Ok(settings)
    }

    /// One startup packet entry. `user`, `database` and `replication` are connection
    /// parameters, not settings; `options` carries `-c name=value` pairs.
    fn apply_startup(&mut self, name: &str, value: &str) -> Result<(), SqlError> {
        match name {
            "database" => {
                self.database = value.into();
                Ok(())
            }
            "user" | "replication" => Ok(()),
            "options" => {
                for (name, value) in parse_options(value) {
                    self.set(&name, SettingValue::Text(value))?;
                }
                Ok(())
            }
            _ => self.set(name, SettingValue::Text(value.to_owned())),
        }
    }

    /// `SET name = value`: until changed again, or until the block it is in rolls
    /// back.
    pub fn set(&mut self, name: &str, value: SettingValue) -> Result<(), SqlError> {
        if let Some(at_commit) = &mut self.at_commit {
            Arc::make_mut(at_commit).set(name, value.clone())?;
        }
        self.set_now(name, value)
    }

    /// `SET LOCAL name = value`: until the transaction ends. Outside a block that is
    /// at once, so it is checked and changes nothing but leave a placeholder
    /// defined, as in PostgreSQL.
    pub fn set_local(&mut self, name: &str, value: SettingValue) -> Result<(), SqlError> {
        if self.at_commit.is_some() {
            return self.set_now(name, value);
        }
        let before = self.clone();
        self.set_now(name, value)?;
        self.restore(&before);
        Ok(())
    }

    /// Checks and stores a value, in these settings only.
    fn set_now(&mut self, name: &str, value: SettingValue) -> Result<(), SqlError> {
        let Some(spec) = find_spec(name) else {
            return self.set_custom(name, value);
        };
        let text = match value {
            SettingValue::Default => self.defaults[spec.name].clone(),
            SettingValue::Text(text) => normalize(spec, &text)?,
        };
        self.store(spec, text);
        Ok(())
    }

    fn set_custom(&mut self, name: &str, value: SettingValue) -> Result<(), SqlError> {
        let key = name.to_ascii_lowercase();
        if !is_custom_name(&key) {
            return Err(unrecognized(name));
        }
        // As in PostgreSQL, a placeholder once set stays defined for the session,
        // with the empty string as its reset value unless startup gave it one:
        // RESET, ROLLBACK and the end of a SET LOCAL return it there, and
        // `current_setting` then answers '' rather than 42704.
        let default = self.defaults.get(&key).cloned();
        if default.is_none() {
            Arc::make_mut(&mut self.defaults).insert(key.clone(), String::new());
        }
        let text = match value {
            SettingValue::Default => default.unwrap_or_default(),
            SettingValue::Text(text) => text,
        };
        Arc::make_mut(&mut self.values).insert(key, text);
        Ok(())
    }

    /// Stores a normalized value and keeps the parsed copies in step.
    fn store(&mut self, spec: &'static Spec, text: String) {
        match spec.name {
            // Both were validated by `normalize`, so parsing again cannot fail.
            "TimeZone" => self.time_zone = TimeZone::parse(&text).unwrap_or(TimeZone::Utc),
            "statement_timeout" => {
                self.statement_timeout_ms = parse_millis(spec.name, &text).unwrap_or(0)
            }
            "lock_timeout" => self.lock_timeout_ms = parse_millis(spec.name, &text).unwrap_or(0),
            "idle_in_transaction_session_timeout" => {
                self.idle_in_transaction_timeout_ms = parse_millis(spec.name, &text).unwrap_or(0)
            }
            "idle_session_timeout" => {
                self.idle_session_timeout_ms = parse_millis(spec.name, &text).unwrap_or(0)
            }
            "synchronous_commit" => self.durability = parse_durability(&text),
            "turnstile.confirmed_reads" => self.confirmed_reads = text == "on",
            "extra_float_digits" => self.extra_float_digits = parse_extra_float_digits(&text),
            _ => {}
        }
        if spec.report
            && self.values.get(spec.name) != Some(&text)
            && !self.changed.contains(&spec.name)
        {
            self.changed.push(spec.name);
        }
        Arc::make_mut(&mut self.values).insert(spec.name.to_owned(), text);
    }

    /// `RESET name`.
    pub fn reset(&mut self, name: &str) -> Result<(), SqlError> {
        self.set(name, SettingValue::Default)
    }

    /// `RESET ALL`: every changeable setting back to its session default, and
    /// every placeholder to its reset value.
    pub fn reset_all(&mut self) {
        if let Some(at_commit) = &mut self.at_commit {
            Arc::make_mut(at_commit).reset_all();
        }
        for spec in SPECS.iter().filter(|s| !matches!(s.kind, Kind::ReadOnly)) {
            let default = self.defaults[spec.name].clone();
            self.store(spec, default);
        }
        let defaults = self.defaults.clone();
        let values = Arc::make_mut(&mut self.values);
        for (name, default) in defaults
            .iter()
            .filter(|(name, _)| find_spec(name).is_none())
        {
            values.insert(name.clone(), default.clone());
        }
    }

    /// `SHOW name`: the canonical name (the column title) and the value.
    pub fn show(&self, name: &str) -> Result<(String, String), SqlError> {
        if let Some(spec) = find_spec(name) {
            return Ok((spec.name.to_owned(), self.values[spec.name].clone()));
        }
        let key = name.to_ascii_lowercase();
        match self.values.get(&key) {
            Some(value) => Ok((key, value.clone())),
            None => Err(unrecognized(name)),
        }
    }

    /// `SHOW ALL`: (name, setting, description) for every setting, sorted by name.
    pub fn show_all(&self) -> Vec<(String, String, String)> {
        let mut rows: Vec<_> = self
            .values
            .iter()
            .map(|(name, value)| {
                let description = find_spec(name).map_or("", |s| s.description);
                (name.clone(), value.clone(), description.to_owned())
            })
            .collect();
        rows.sort_by_key(|(name, _, _)| name.to_ascii_lowercase());
        rows
    }

    /// Every reported setting, for the ParameterStatus messages sent at startup.
    pub fn reported(&self) -> Vec<(&'static str, String)> {
        SPECS
            .iter()
            .filter(|s| s.report)
            .map(|s| (s.name, self.values[s.name].clone()))
            .collect()
    }

    /// A transaction block begins: from now on `SET LOCAL` lasts until
    /// [`Settings::commit_block`], and the caller keeps a copy of these settings
    /// to [`Settings::restore`] if the block rolls back.
    pub fn begin_block(&mut self) {
        self.at_commit = Some(Arc::new(self.clone()));
    }

    /// The block commits: its `SET`s stay, its `SET LOCAL`s end.
    pub fn commit_block(&mut self) {
        if let Some(at_commit) = self.at_commit.take() {
            self.restore(&at_commit);
        }
    }

    /// Returns to `saved` (the settings at BEGIN after a ROLLBACK, at a savepoint
    /// after ROLLBACK TO, or as the block's COMMIT leaves them), queueing
    /// ParameterStatus for the reported settings whose value this changes.
    pub fn restore(&mut self, saved: &Settings) {
        if Arc::ptr_eq(&self.values, &saved.values) {
            // Nothing was SET since `saved` was taken: only whether a block is
            // open differs (a ROLLBACK of a block that set nothing).
            self.at_commit = saved.at_commit.clone();
            return;
        }
        let mut changed = std::mem::take(&mut self.changed);
        for spec in SPECS.iter().filter(|s| s.report) {
            if self.values.get(spec.name) != saved.values.get(spec.name)
                && !changed.contains(&spec.name)
            {
                changed.push(spec.name);
            }
        }
        // Placeholders defined since `saved` stay defined, at their reset values.
        let defaults = self.defaults.clone();
        *self = saved.clone();
        for (name, default) in defaults.iter() {
            if !self.values.contains_key(name) {
                Arc::make_mut(&mut self.values).insert(name.clone(), default.clone());
            }
        }
        self.defaults = defaults;
        self.changed = changed;
    }

    /// `BEGIN READ ONLY`, `SET TRANSACTION READ ONLY`: `transaction_read_only`
    /// shows `on` until the transaction ends. It is kept among the settings so that
    /// what ends the block (or `ROLLBACK TO` a savepoint before it) restores it
    /// with them.
    pub fn set_transaction_read_only(&mut self) {
        Arc::make_mut(&mut self.values).insert("transaction_read_only".into(), "on".into());
    }

    /// The reported settings that changed since the last call, with their new values.
    pub fn take_changes(&mut self) -> Vec<(&'static str, String)> {
        // Asked after every statement; the answer is almost always none.
        if self.changed.is_empty() {
            return Vec::new();
        }
        let changed = std::mem::take(&mut self.changed);
        changed
            .into_iter()
            .map(|name| (name, self.values[name].clone()))
            .collect()
    }

    /// The session time zone (`SET TimeZone`).
    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    /// How values are written as text for this session's client: its time zone and
    /// `extra_float_digits`.
    pub fn text_style(&self) -> TextStyle<'_> {
        TextStyle {
            time_zone: &self.time_zone,
            extra_float_digits: self.extra_float_digits,
        }
    }

    /// When this session's writes are acknowledged: `synchronous_commit = off`
    /// acknowledges at visibility; `on` and its synonyms (`local`, `remote_write`,
    /// `remote_apply`, which mean the same on a single server) at durability.
    pub fn durability(&self) -> Durability {
        self.durability
    }

    pub fn user(&self) -> &Arc<str> {
        &self.user
    }

    pub fn database(&self) -> &Arc<str> {
        &self.database
    }

    /// `turnstile.confirmed_reads`: a query's rows wait until all it saw is durable.
    pub fn confirmed_reads(&self) -> bool {
        self.confirmed_reads
    }

    /// `statement_timeout`, or None when it is 0 (off).
    pub fn statement_timeout(&self) -> Option<Duration> {
        millis(self.statement_timeout_ms)
    }

    /// `lock_timeout`, or None when it is 0 (off).
    pub fn lock_timeout(&self) -> Option<Duration> {
        millis(self.lock_timeout_ms)
    }

    /// How long the session may wait for its client's next query before the
    /// server ends it: `idle_in_transaction_session_timeout` inside a
    /// transaction block, `idle_session_timeout` outside one; None when that
    /// one is 0 (off).
    pub fn idle_timeout(&self, in_block: bool) -> Option<Duration> {
        millis(if in_block {
            self.idle_in_transaction_timeout_ms
        } else {
            self.idle_session_timeout_ms
        })
    }
}

/// A timeout setting's milliseconds as a duration; 0 is off.
fn millis(ms: u64) -> Option<Duration> {
    (ms > 0).then(|| Duration::from_millis(ms))
}

/// A custom placeholder name: `prefix.name`, both parts non-empty.
fn is_custom_name(name: &str) -> bool {
    name.split_once('.')
        .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
}

fn unrecognized(name: &str) -> SqlError {
    SqlError::UndefinedObject(format!("unrecognized configuration parameter \"{name}\""))
}

fn invalid_value(name: &str, value: &str) -> SqlError {
    SqlError::InvalidParameterValue(format!(
        "invalid value for parameter \"{name}\": \"{value}\""
    ))
}

/// Checks `text` against the setting's kind and returns the value `SHOW` prints.
fn normalize(spec: &Spec, text: &str) -> Result<String, SqlError> {
    let name = spec.name;
    let lower = text.trim().to_ascii_lowercase();
    match spec.kind {
        Kind::ReadOnly => Err(SqlError::CantChangeParameter(name.to_owned())),
        Kind::Any => Ok(text.to_owned()),
        Kind::Encoding => match encoding_key(text).as_str() {
            "utf8" | "unicode" => Ok("UTF8".to_owned()),
            _ => Err(SqlError::InvalidParameterValue(format!(
                "invalid value for parameter \"{name}\": \"{text}\" (Turnstile speaks UTF8 only)"
            ))),
        },
        Kind::DateStyle => normalize_datestyle(text),
        Kind::TimeZone => TimeZone::parse(text)
            .map(|tz| tz.name())
            .map_err(|_| invalid_value(name, text)),
        Kind::Int { min, max } => {
            let v = parse_int(&lower).ok_or_else(|| invalid_value(name, text))?;
            if !(min..=max).contains(&v) {
                return Err(SqlError::InvalidParameterValue(format!(
                    "{v} is outside the valid range for parameter \"{name}\" ({min} .. {max})"
                )));
            }
            Ok(v.to_string())
        }
        Kind::Millis => parse_millis(name, text).map(format_millis),
        Kind::OneOf(words) => match words.iter().find(|w| **w == lower) {
            Some(w) => Ok((*w).to_owned()),
            None if words.contains(&"on") => normalize_bool(&lower)
                .map(str::to_owned)
                .ok_or_else(|| invalid_value(name, text)),
            None => Err(invalid_value(name, text)),
        },
        Kind::Bool => normalize_bool(&lower)
            .map(str::to_owned)
            .ok_or_else(|| requires_bool(name)),
        Kind::Only(only) => normalize_only(name, only, &lower, text),
        Kind::Isolation => match LEVELS.iter().find(|l| **l == lower) {
            // Every level is served by serializable execution (one writer at a time
            // under the global lock), so SHOW tells the truth: serializable.
            Some(_) => Ok("serializable".to_owned()),
            None => Err(invalid_value(name, text)),
        },
    }
}

/// An integer setting as PostgreSQL's `parse_int` reads it: C's `strtol` with
/// base 0 (`0x1f` is hexadecimal, `017` octal), else a decimal number rounded
/// half to even (`2.5` is 2, `1e1` is 10); None for anything else or a value
/// beyond 32 bits.
fn parse_int(text: &str) -> Option<i64> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (radix, digits) = match unsigned.strip_prefix("0x") {
        Some(hex) => (16, hex),
        None if unsigned.len() > 1 && unsigned.starts_with('0') => (8, &unsigned[1..]),
        None => (10, unsigned),
    };
    let integer = digits
        .bytes()
        .all(|b| b.is_ascii_alphanumeric())
        .then(|| i64::from_str_radix(digits, radix).ok())
        .flatten()
        .map(|n| if negative { -n } else { n });
    let v = match integer {
        Some(n) => n as f64,
        None => text.parse::<f64>().ok()?.round_ties_even(),
    };
    (f64::from(i32::MIN)..=f64::from(i32::MAX))
        .contains(&v)
        .then_some(v as i64)
}

/// An encoding name as PostgreSQL compares them (`clean_encoding_name`): letters
/// and digits only, lowercased, so `'utf-8'` (asyncpg sends the quotes in its
/// startup packet), `UTF_8` and `utf8` are one name.
fn encoding_key(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// 22023 for a boolean setting given something else, in PostgreSQL's words.
fn requires_bool(name: &str) -> SqlError {
    SqlError::InvalidParameterValue(format!("parameter \"{name}\" requires a Boolean value"))
}

/// PostgreSQL's boolean spellings, normalized to on/off.
fn normalize_bool(lower: &str) -> Option<&'static str> {
    match lower {
        "on" | "true" | "yes" | "1" | "t" | "y" => Some("on"),
        "off" | "false" | "no" | "0" | "f" | "n" => Some("off"),
        _ => None,
    }
}

fn normalize_only(name: &str, only: &str, lower: &str, text: &str) -> Result<String, SqlError> {
    let is_bool_setting = only == "on" || only == "off";
    let value = match is_bool_setting {
        true => normalize_bool(lower).unwrap_or(lower),
        false => lower,
    };
    if value == only {
        return Ok(only.to_owned());
    }
    if is_bool_setting && normalize_bool(lower).is_none() {
        return Err(requires_bool(name));
    }
    if !is_bool_setting && lower.is_empty() {
        return Err(invalid_value(name, text));
    }
    Err(SqlError::Unsupported(format!(
        "{name} = {text} (Turnstile supports only {only})"
    )))
}

/// Accepts `ISO`, `ISO, MDY`, `MDY, ISO`, `US`-free combinations: output ISO, input
/// order MDY, which are the only ones Turnstile implements.
fn normalize_datestyle(text: &str) -> Result<String, SqlError> {
    let mut ok = true;
    for part in text.split(',').map(|p| p.trim().to_ascii_lowercase()) {
        ok &= matches!(
            part.as_str(),
            "iso" | "mdy" | "us" | "noneuropean" | "default"
        );
    }
    if ok {
        Ok("ISO, MDY".to_owned())
    } else {
        Err(SqlError::Unsupported(format!(
            "DateStyle \"{text}\" (Turnstile supports only ISO, MDY)"
        )))
    }
}

/// A duration setting in milliseconds: a bare number is milliseconds; units us, ms,
/// s, min, h and d are accepted, as in PostgreSQL. Negative is 22023.
pub fn parse_millis(name: &str, text: &str) -> Result<u64, SqlError> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .unwrap_or(t.len());
    let (number, unit) = (t[..split].trim(), t[split..].trim());
    let n: f64 = number.parse().map_err(|_| invalid_value(name, text))?;
    let factor = match unit {
        "" | "ms" => 1.0,
        "us" => 0.001,
        "s" => 1_000.0,
        "min" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        _ => {
            return Err(SqlError::InvalidParameterValue(format!(
                "invalid value for parameter \"{name}\": \"{text}\" (valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\")"
            )))
        }
    };
    let ms = (n * factor).round();
    if !(0.0..=f64::from(i32::MAX)).contains(&ms) {
        return Err(SqlError::InvalidParameterValue(format!(
            "{ms} ms is outside the valid range for parameter \"{name}\" (0 .. 2147483647)"
        )));
    }
    Ok(ms as u64)
}

/// Prints milliseconds in the largest unit that divides them, as `SHOW` does.
pub fn format_millis(ms: u64) -> String {
    const UNITS: &[(u64, &str)] = &[
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "min"),
        (1_000, "s"),
    ];
    if ms == 0 {
        return "0".to_owned();
    }
    match UNITS.iter().find(|(size, _)| ms.is_multiple_of(*size)) {
        Some((size, unit)) => format!("{}{unit}", ms / size),
        None => format!("{ms}ms"),
    }
}

/// The `-c name=value` and `--name=value` pairs of a startup `options` string.
fn parse_options(options: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut words = options.split_whitespace();
    while let Some(word) = words.next() {
        let assignment = match word {
            "-c" => words.next().unwrap_or(""),
            w => w
                .strip_prefix("--")
                .or_else(|| w.strip_prefix("-c"))
                .unwrap_or(""),
        };
        if let Some((name, value)) = assignment.split_once('=') {
            pairs.push((name.replace('-', "_"), value.to_owned()));
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        let defaults = SessionDefaults {
            user: "alice".into(),
            statement_timeout_ms: 0,
            max_connections: 100,
            synchronous_commit: false,
        };
        Settings::new(
            &defaults,
            [
                ("application_name", "psql"),
                ("options", "-c extra_float_digits=3"),
            ],
        )
        .unwrap()
    }

    /// Startup parameters become the session defaults that RESET returns to.
    #[test]
    fn startup_parameters_are_defaults() {
        let mut s = settings();
        assert_eq!(
            s.show("APPLICATION_NAME").unwrap(),
            ("application_name".into(), "psql".into())
        );
        assert_eq!(s.show("extra_float_digits").unwrap().1, "3");
        s.set("application_name", SettingValue::Text("x".into()))
            .unwrap();
        s.reset("application_name").unwrap();
        assert_eq!(s.show("application_name").unwrap().1, "psql");
        assert_eq!(s.show("session_authorization").unwrap().1, "alice");
    }

    /// `extra_float_digits` reaches the text style, from startup, SET and RESET.
    #[test]
    fn extra_float_digits_reach_the_text_style() {
        let mut s = settings();
        assert_eq!(s.text_style().extra_float_digits, 3);
        s.set("extra_float_digits", SettingValue::Text("-15".into()))
            .unwrap();
        assert_eq!(s.text_style().extra_float_digits, -15);
        s.reset("extra_float_digits").unwrap();
        assert_eq!(s.text_style().extra_float_digits, 3);
    }

    /// The idle timeouts: the one inside a block and the one outside are
    /// separate, 0 is off (pg_dump sends `SET idle_session_timeout = 0`), and
    /// `SET LOCAL` lasts until the block ends.
    #[test]
    fn idle_timeouts() {
        let mut s = settings();
        assert_eq!((s.idle_timeout(true), s.idle_timeout(false)), (None, None));
        s.set("idle_session_timeout", SettingValue::Text("5s".into()))
            .unwrap();
        s.set(
            "idle_in_transaction_session_timeout",
            SettingValue::Text("250".into()),
        )
        .unwrap();
        assert_eq!(s.idle_timeout(false), Some(Duration::from_secs(5)));
        assert_eq!(s.idle_timeout(true), Some(Duration::from_millis(250)));
        s.begin_block();
        s.set_local(
            "idle_in_transaction_session_timeout",
            SettingValue::Text("1min".into()),
        )
        .unwrap();
        assert_eq!(s.idle_timeout(true), Some(Duration::from_secs(60)));
        s.commit_block();
        assert_eq!(s.idle_timeout(true), Some(Duration::from_millis(250)));
        s.set("idle_session_timeout", SettingValue::Text("0".into()))
            .unwrap();
        assert_eq!(s.idle_timeout(false), None);
    }

    /// Durations take units and print in the largest exact unit, like PostgreSQL.
    #[test]
    fn durations() {
        let mut s = settings();
        s.set("statement_timeout", SettingValue::Text("5000".into()))
            .unwrap();
        assert_eq!(s.show("statement_timeout").unwrap().1, "5s");
        assert_eq!(s.statement_timeout(), Some(Duration::from_secs(5)));
        s.set("statement_timeout", SettingValue::Text("1.5min".into()))
            .unwrap();
        assert_eq!(s.show("statement_timeout").unwrap().1, "90s");
        s.set("statement_timeout", SettingValue::Text("250ms".into()))
            .unwrap();
        assert_eq!(s.show("statement_timeout").unwrap().1, "250ms");
        s.set("statement_timeout", SettingValue::Text("0".into()))
            .unwrap();
        assert_eq!(s.statement_timeout(), None);
        assert!(s
            .set("statement_timeout", SettingValue::Text("-1".into()))
            .is_err());
        assert!(s
            .set("statement_timeout", SettingValue::Text("5 parsecs".into()))
            .is_err());
    }

    /// Unknown names are 42704, custom dotted names are accepted, read-only is 55P02.
    #[test]
    fn unknown_custom_and_read_only() {
        let mut s = settings();
        assert!(matches!(
            s.set("foo", SettingValue::Text("1".into())),
            Err(SqlError::UndefinedObject(_))
        ));
        assert!(matches!(s.show("foo"), Err(SqlError::UndefinedObject(_))));
        s.set("MyApp.Tenant", SettingValue::Text("42".into()))
            .unwrap();
        assert_eq!(s.show("myapp.tenant").unwrap().1, "42");
        assert!(matches!(
            s.set("server_version", SettingValue::Text("16".into())),
            Err(SqlError::CantChangeParameter(_))
        ));
    }

    /// Reported settings are queued for ParameterStatus only when their value changes.
    #[test]
    fn changes_are_reported_once() {
        let mut s = settings();
        s.set("timezone", SettingValue::Text("Europe/Paris".into()))
            .unwrap();
        s.set("TimeZone", SettingValue::Text("europe/paris".into()))
            .unwrap();
        s.set("extra_float_digits", SettingValue::Text("2".into()))
            .unwrap();
        assert_eq!(
            s.take_changes(),
            vec![("TimeZone", "Europe/Paris".to_owned())]
        );
        assert!(s.take_changes().is_empty());
        s.set("client_encoding", SettingValue::Text("utf8".into()))
            .unwrap();
        assert!(s.take_changes().is_empty());
    }

    /// The server's `synchronous_commit` is the session default RESET returns to;
    /// PostgreSQL's synonyms of `on` are durable; `turnstile.confirmed_reads` is a
    /// known setting, off by default, with boolean spellings.
    #[test]
    fn durability_settings() {
        let mut s = settings();
        assert_eq!(s.show("synchronous_commit").unwrap().1, "off");
        assert_eq!(s.durability(), Durability::Visible);
        for on in ["on", "local", "remote_write", "remote_apply", "true"] {
            s.set("synchronous_commit", SettingValue::Text(on.into()))
                .unwrap();
            assert_eq!(s.durability(), Durability::Durable, "{on}");
        }
        s.reset("synchronous_commit").unwrap();
        assert_eq!(s.durability(), Durability::Visible);
        assert!(s
            .set("synchronous_commit", SettingValue::Text("sometimes".into()))
            .is_err());
        assert_eq!(s.show("turnstile.confirmed_reads").unwrap().1, "off");
        assert!(!s.confirmed_reads());
        s.set(
            "TURNSTILE.CONFIRMED_READS",
            SettingValue::Text("yes".into()),
        )
        .unwrap();
        assert_eq!(s.show("turnstile.confirmed_reads").unwrap().1, "on");
        assert!(s.confirmed_reads());
        assert!(s
            .set("turnstile.confirmed_reads", SettingValue::Text("2".into()))
            .is_err());
        s.reset_all();
        assert!(!s.confirmed_reads());
    }

    /// Encoding names are compared as PostgreSQL compares them: case and
    /// punctuation do not matter, and every spelling of UTF8 shows as `UTF8`;
    /// other encodings (and names that only look alike) are refused with 22023.
    #[test]
    fn encoding_names_are_normalized() {
        let mut s = settings();
        for name in ["'utf-8'", "UTF8", "utf_8", "Unicode", " utf-8 ", "UTF-8"] {
            s.set("client_encoding", SettingValue::Text(name.into()))
                .unwrap();
            assert_eq!(s.show("client_encoding").unwrap().1, "UTF8", "{name}");
        }
        for name in ["LATIN1", "utf16", "utf", "SQL_ASCII", ""] {
            assert!(
                matches!(
                    s.set("client_encoding", SettingValue::Text(name.into())),
                    Err(SqlError::InvalidParameterValue(_))
                ),
                "{name}"
            );
        }
    }

    /// In a block, `SET` lasts past COMMIT and `SET LOCAL` does not; a copy taken
    /// at a savepoint restores both, as `ROLLBACK TO` must. Outside a block `SET
    /// LOCAL` is checked and changes nothing.
    #[test]
    fn set_local_ends_with_the_block() {
        let mut s = settings();
        s.set_local("application_name", SettingValue::Text("gone".into()))
            .unwrap();
        assert_eq!(s.show("application_name").unwrap().1, "psql");
        assert!(s
            .set_local("statement_timeout", SettingValue::Text("x".into()))
            .is_err());
        s.begin_block();
        let savepoint = s.clone();
        s.set("application_name", SettingValue::Text("kept".into()))
            .unwrap();
        s.set_local("jit", SettingValue::Text("off".into()))
            .unwrap();
        s.restore(&savepoint);
        assert_eq!(s.show("application_name").unwrap().1, "psql");
        s.set("application_name", SettingValue::Text("kept".into()))
            .unwrap();
        s.set_local("jit", SettingValue::Text("off".into()))
            .unwrap();
        assert_eq!(s.show("jit").unwrap().1, "off");
        s.commit_block();
        assert_eq!(s.show("application_name").unwrap().1, "kept");
        assert_eq!(s.show("jit").unwrap().1, "on");
    }

    /// A placeholder once set stays defined, empty after ROLLBACK, SET LOCAL's
    /// end and RESET ALL, as in PostgreSQL.
    #[test]
    fn placeholders_stay_defined() {
        let mut s = settings();
        let before = s.clone();
        s.set("my.a", SettingValue::Text("1".into())).unwrap();
        s.restore(&before);
        assert_eq!(s.show("my.a").unwrap().1, "");
        s.set_local("my.b", SettingValue::Text("2".into())).unwrap();
        assert_eq!(s.show("my.b").unwrap().1, "");
        s.set("my.a", SettingValue::Text("3".into())).unwrap();
        s.reset_all();
        assert_eq!(s.show("my.a").unwrap().1, "");
    }

    /// Integer settings are read as PostgreSQL's `parse_int` reads them.
    #[test]
    fn integers_as_postgres_reads_them() {
        for (text, value) in [
            ("3", Some(3)),
            ("-15", Some(-15)),
            ("+2", Some(2)),
            ("2.5", Some(2)),
            ("3.5", Some(4)),
            ("1e0", Some(1)),
            ("0x3", Some(3)),
            ("010", Some(8)),
            ("08", Some(8)),
            ("1e10", None),
            ("inf", None),
            ("nan", None),
            ("0x", None),
            ("", None),
            ("two", None),
        ] {
            assert_eq!(parse_int(text), value, "{text}");
        }
    }

    /// Values Turnstile cannot honour are refused, not silently ignored.
    #[test]
    fn unsupported_values_are_refused() {
        let mut s = settings();
        assert!(matches!(
            s.set("client_encoding", SettingValue::Text("LATIN1".into())),
            Err(SqlError::InvalidParameterValue(_))
        ));
        assert!(matches!(
            s.set(
                "standard_conforming_strings",
                SettingValue::Text("off".into())
            ),
            Err(SqlError::Unsupported(_))
        ));
        assert!(matches!(
            s.set("DateStyle", SettingValue::Text("SQL, DMY".into())),
            Err(SqlError::Unsupported(_))
        ));
        s.set("DateStyle", SettingValue::Text("iso, mdy".into()))
            .unwrap();
        s.set(
            "synchronous_commit",
            SettingValue::Text("remote_apply".into()),
        )
        .unwrap();
        s.set(
            "default_transaction_isolation",
            SettingValue::Text("read committed".into()),
        )
        .unwrap();
        assert_eq!(
            s.show("default_transaction_isolation").unwrap().1,
            "serializable"
        );
        assert!(matches!(
            s.set("extra_float_digits", SettingValue::Text("9".into())),
            Err(SqlError::InvalidParameterValue(_))
        ));
    }
}
