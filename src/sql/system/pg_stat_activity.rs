//! `pg_stat_activity`: one row per session, from the sessions' registry (see
//! `sql::activity`): who, from where, since when, what it runs or ran last,
//! in which state and what it waits for, as PostgreSQL shows its client
//! backends.

use crate::sql::activity::WaitEvent;
use crate::types::{DataType, Value};

use super::catalog::{self as c, NAME, OID};
use super::registry::{Schema, SystemRelation};
use super::SystemSnapshot;

pub const RELATION: SystemRelation = SystemRelation {
    name: "pg_stat_activity",
    schema: Schema::PgCatalog,
    columns: &[
        ("datid", OID),
        ("datname", NAME),
        ("pid", DataType::Int4),
        ("leader_pid", DataType::Int4),
        ("usesysid", OID),
        ("usename", NAME),
        ("application_name", DataType::Text),
        // PostgreSQL's is an inet; Turnstile has no such type.
        ("client_addr", DataType::Text),
        ("client_hostname", DataType::Text),
        ("client_port", DataType::Int4),
        ("backend_start", DataType::Timestamptz),
        ("xact_start", DataType::Timestamptz),
        ("query_start", DataType::Timestamptz),
        ("state_change", DataType::Timestamptz),
        ("wait_event_type", DataType::Text),
        ("wait_event", DataType::Text),
        ("state", DataType::Text),
        // PostgreSQL's are xids; Turnstile keeps no transaction ids.
        ("backend_xid", DataType::Text),
        ("backend_xmin", DataType::Text),
        ("query_id", DataType::Int8),
        ("query", DataType::Text),
        ("backend_type", DataType::Text),
    ],
    rows,
};

fn rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    let Some(activities) = snapshot.activities else {
        return Vec::new();
    };
    let timestamp = |us: Option<i64>| us.map_or(Value::Null, Value::Timestamptz);
    activities
        .sessions()
        .iter()
        .map(|session| {
            let now = session.now();
            // An idle session waits for its client, as PostgreSQL says; an
            // active one may wait for an advisory lock or pg_sleep's time.
            let wait_event = if now.state != crate::sql::activity::SessionState::Active {
                Some(("Client", "ClientRead"))
            } else {
                now.wait_event.map(WaitEvent::names)
            };
            let text = |what: Option<&str>| what.map_or(Value::Null, |w| Value::Text(w.to_owned()));
            vec![
                c::oid(c::DATABASE_OID),
                c::name(&session.database),
                c::int4(i64::from(session.pid)),
                Value::Null,
                c::oid(c::OWNER_OID),
                c::name(&session.user),
                Value::Text(now.application_name),
                Value::Text(session.client.ip().to_string()),
                Value::Null,
                c::int4(i64::from(session.client.port())),
                Value::Timestamptz(session.backend_start_us),
                timestamp(now.xact_start_us),
                timestamp(now.query_start_us),
                Value::Timestamptz(now.state_change_us),
                text(wait_event.map(|(kind, _)| kind)),
                text(wait_event.map(|(_, event)| event)),
                Value::Text(now.state.name().to_owned()),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Text(now.query.to_string()),
                Value::Text("client backend".to_owned()),
            ]
        })
        .collect()
}
