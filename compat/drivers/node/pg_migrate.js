// The migration-tool scenario with node-pg-migrate 7 on node-postgres
// (compat/drivers/README.md): its runner takes PostgreSQL's advisory lock
// (pg_try_advisory_lock), keeps its own table of what ran, and applies and
// reverts migrations (pg_migrate/) in transactions; a second runner refuses
// to start while the lock is held. Usage: node pg_migrate.js POSTGRES_URL
'use strict'

const assert = require('assert/strict')
const path = require('path')
const { steps, need, urlFromArgv } = require('./steps')

const { runner } = need('node-pg-migrate')
const pg = need('pg')
const URL = urlFromArgv()
const { step, fail, finish } = steps('node-pg-migrate')
const TABLE = 'compat_pgmigrations'
// node-pg-migrate's own lock id (PG_MIGRATE_LOCK_ID in its runner).
const LOCK_ID = '7241865325823964'

function migrate (direction, count = Infinity) {
  return runner({
    databaseUrl: URL,
    dir: path.join(__dirname, 'pg_migrate'),
    direction,
    count,
    migrationsTable: TABLE,
    log: () => {},
  })
}

async function query (sql, params) {
  const client = new pg.Client({ connectionString: URL })
  await client.connect()
  try {
    return (await client.query(sql, params)).rows
  } finally {
    await client.end()
  }
}

const names = (ran) => ran.map((m) => m.name)

async function main () {
  await step('cleanup', async () => {
    await query(`DROP TABLE IF EXISTS compat_pgm_posts, compat_pgm_users, ${TABLE}`)
  })

  await step('up', async () => {
    assert.deepEqual(names(await migrate('up')), ['1700000000000_init', '1700000000001_email'])
    const ran = await query(`SELECT name FROM ${TABLE} ORDER BY id`)
    assert.deepEqual(ran.map((r) => r.name), ['1700000000000_init', '1700000000001_email'])
    await query("INSERT INTO compat_pgm_users (name, email) VALUES ('ann', 'ann@example.com')")
    await query("INSERT INTO compat_pgm_posts (user_id, body) SELECT id, 'hello' FROM compat_pgm_users")
  })

  await step('up_again', async () => {
    assert.deepEqual(names(await migrate('up')), [])
  })

  await step('locked', async () => {
    const holder = new pg.Client({ connectionString: URL })
    await holder.connect()
    try {
      await holder.query(`SELECT pg_advisory_lock(${LOCK_ID})`)
      await assert.rejects(migrate('up'), /Another migration is already running/)
      await holder.query(`SELECT pg_advisory_unlock(${LOCK_ID})`)
    } finally {
      await holder.end()
    }
  })

  await step('down', async () => {
    assert.deepEqual(names(await migrate('down', 1)), ['1700000000001_email'])
    const columns = await query(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'compat_pgm_users' ORDER BY ordinal_position")
    assert.deepEqual(columns.map((c) => c.column_name), ['id', 'name', 'created_at'])
    assert.deepEqual(await query('SELECT count(*)::int AS n FROM compat_pgm_posts'), [{ n: 1 }])
  })

  await step('down_all_and_up', async () => {
    assert.deepEqual(names(await migrate('down')), ['1700000000000_init'])
    assert.deepEqual(await query("SELECT to_regclass('compat_pgm_users') AS t"), [{ t: null }])
    assert.deepEqual(names(await migrate('up')), ['1700000000000_init', '1700000000001_email'])
  })
}

main().catch((e) => fail('scenario', e)).finally(finish)
