// The driver scenario (compat/drivers/README.md) with node-postgres (`pg`): parameters
// as text (Buffers as binary), results compared exactly as the raw text the server
// sent, named prepared statements, transaction blocks, a serialization failure
// retried and notifications. No binary results: pg's `binary: true` decodes every value as a UTF-8
// string before its parsers see it, so bytes that are not UTF-8 cannot round-trip.
// Usage: node scenario.js POSTGRES_URL
'use strict'

const assert = require('assert/strict')
const { steps, expectError, need, urlFromArgv } = require('./steps')

const pg = need('pg')
const URL = urlFromArgv()
const T = 'compat_node'
const ACCT_A = 7001
const ACCT_B = 7002

const COLUMNS = [
  ['c_bool', 'boolean'], ['c_int2', 'smallint'], ['c_int4', 'integer'], ['c_int8', 'bigint'],
  ['c_float4', 'real'], ['c_float8', 'double precision'], ['c_numeric', 'numeric'], ['c_text', 'text'],
  ['c_varchar', 'varchar(20)'], ['c_bytea', 'bytea'], ['c_timestamp', 'timestamp'],
  ['c_timestamptz', 'timestamptz'], ['c_date', 'date'], ['c_uuid', 'uuid'], ['c_jsonb', 'jsonb'],
]
const NAMES = COLUMNS.map(([n]) => n)
const ALL_BYTES = Buffer.from([...Array(256).keys()])
const JSON_TEXT = '{"b": null, "aa": [1, 2.5, "x"], "é": "🐘"}'
const TEXT = 'héllo wörld ✓ 日本語 🐘🚀 it\'s "quoted" back\\slash'

// Parameters as an application passes them: numbers where exact, strings for
// 64-bit integers, numerics and timestamps (a JS Date has milliseconds only), a Buffer
// for bytea (sent in binary).
const PARAMS = [
  [1, ...Array(15).fill(null)],
  [2, true, -32768, -2147483648, '-9223372036854775808', -1.5, -2.2250738585072014e-308,
    '-12345678901234567890.12345678', TEXT, 'ünïcødé 🎉', Buffer.from([0, 1, 2, 0, 255, 0]),
    '2024-02-29 23:59:59.123456', '2024-06-30 12:34:56.789+05:30', '2000-02-29',
    '00000000-0000-0000-0000-000000000000', JSON_TEXT],
  [3, false, 32767, 2147483647, '9223372036854775807', 3.4028234663852886e38, 1.7976931348623157e308,
    '0.0000000000000000000000000001', '', 'abcdefghijklmnopqrs🐘', ALL_BYTES, '1970-01-01 00:00:00',
    '1999-12-31 23:59:59.999999-08:00', '9999-12-31', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '[]'],
]

// What PostgreSQL 15 sends in text format (TimeZone UTC).
const TEXT_ROWS = [
  ['1', ...Array(15).fill(null)],
  ['2', 't', '-32768', '-2147483648', '-9223372036854775808', '-1.5', '-2.2250738585072014e-308',
    '-12345678901234567890.12345678', TEXT, 'ünïcødé 🎉', '\\x00010200ff00', '2024-02-29 23:59:59.123456',
    '2024-06-30 07:04:56.789+00', '2000-02-29', '00000000-0000-0000-0000-000000000000', JSON_TEXT],
  ['3', 'f', '32767', '2147483647', '9223372036854775807', '3.4028235e+38', '1.7976931348623157e+308',
    '0.0000000000000000000000000001', '', 'abcdefghijklmnopqrs🐘', '\\x' + ALL_BYTES.toString('hex'),
    '1970-01-01 00:00:00', '2000-01-01 07:59:59.999999+00', '9999-12-31',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '[]'],
]

const RAW = { getTypeParser: () => (value) => value }
const SELECT_ALL = `SELECT id, ${NAMES.join(', ')} FROM ${T} WHERE id < 10 ORDER BY id`

async function connect () {
  const c = new pg.Client({ connectionString: URL })
  c.on('error', () => {}) // a dropped connection fails the step that uses it
  await c.connect()
  return c
}

function compareRows (got, want) {
  assert.equal(got.length, want.length, `expected ${want.length} rows, got ${got.length}`)
  got.forEach((row, r) => {
    assert.equal(row.length, want[r].length, `row ${r + 1}: ${row.length} columns`)
    row.forEach((value, c) => {
      const name = c === 0 ? 'id' : NAMES[c - 1]
      const w = want[r][c]
      assert.ok(value === w, `row ${r + 1} column ${name}: expected ${w}, got ${value}`)
    })
  })
}
const first = async (c, sql, params) => (await c.query({ text: sql, values: params, rowMode: 'array' })).rows[0]

async function main () {
  let conn, other
  if (!await step('connect', async () => {
    conn = await connect()
    other = await connect()
    assert.deepEqual(await first(conn, 'SELECT 1'), [1])
  })) return

  async function answers (c) {
    assert.deepEqual(await first(c, 'SELECT 1'), [1], 'the connection does not answer SELECT 1')
  }

  await step('create_table', async () => {
    await conn.query(`DROP TABLE IF EXISTS ${T}`)
    await conn.query(`CREATE TABLE ${T} (id integer PRIMARY KEY, ${COLUMNS.map((c) => c.join(' ')).join(', ')})`)
  })

  await step('insert_params', async () => {
    const placeholders = PARAMS[0].map((_, i) => `$${i + 1}`).join(', ')
    for (const row of PARAMS) {
      const result = await conn.query(`INSERT INTO ${T} VALUES (${placeholders})`, row)
      assert.equal(result.rowCount, 1)
    }
  })

  await step('read_text', async () => {
    await conn.query("SET TimeZone = 'UTC'")
    const result = await conn.query({ text: SELECT_ALL, rowMode: 'array', types: RAW })
    compareRows(result.rows, TEXT_ROWS)
  })

  await step('prepared_reuse', async () => {
    for (let i = 1000; i < 1200; i++) {
      await conn.query({ name: 'ins_reuse', text: `INSERT INTO ${T} (id, c_int4, c_text) VALUES ($1, $2, $3)`, values: [i, i * 2, `row-${i}`] })
    }
    for (let i = 1000; i < 1200; i++) {
      const result = await conn.query({ name: 'sel_reuse', text: `SELECT c_int4, c_text FROM ${T} WHERE id = $1`, values: [i], rowMode: 'array' })
      assert.deepEqual(result.rows, [[i * 2, `row-${i}`]], `id ${i}`)
    }
    assert.deepEqual(await first(conn, `SELECT count(*), sum(c_int4) FROM ${T} WHERE id >= $1`, [1000]), ['200', '439800'])
  })

  await step('update_delete_counts', async () => {
    assert.equal((await conn.query(`UPDATE ${T} SET c_int8 = 7 WHERE id >= 1000 AND id < 1100`)).rowCount, 100)
    assert.equal((await conn.query(`DELETE FROM ${T} WHERE id >= $1`, [1150])).rowCount, 50)
    assert.deepEqual(await first(conn, `SELECT count(*) FROM ${T} WHERE id >= 1000`), ['150'])
  })

  for (const [code, sql] of [['42601', 'SELEC 1'], ['42P01', `SELECT * FROM ${T}_missing`],
    ['23505', `INSERT INTO ${T} (id) VALUES (2)`], ['22012', 'SELECT 1 / 0']]) {
    await step(`error_${code}`, async () => {
      await expectError(code, conn.query(sql))
      await answers(conn)
    })
  }

  const balances = async () => (await other.query({ text: 'SELECT balance FROM accounts WHERE id IN ($1, $2) ORDER BY id', values: [ACCT_A, ACCT_B], rowMode: 'array' })).rows
  await step('call_transfer', async () => {
    await conn.query('DELETE FROM accounts WHERE id IN ($1, $2)', [ACCT_A, ACCT_B])
    await conn.query('CALL open_account($1, $2, $3)', [ACCT_A, 'alice', 100])
    await conn.query('CALL open_account($1, $2, $3)', [ACCT_B, 'bob', 50])
    await conn.query('CALL transfer($1, $2, $3)', [ACCT_A, ACCT_B, 30])
    assert.deepEqual(await balances(), [['70'], ['80']])
  })

  await step('call_insufficient_funds', async () => {
    const e = await expectError('P0001', conn.query('CALL transfer($1, $2, $3)', [ACCT_B, ACCT_A, 1000]))
    assert.match(e.message, /^insufficient funds/)
    assert.deepEqual(await balances(), [['70'], ['80']])
    await answers(conn)
  })

  await step('tx_commit', async () => {
    await conn.query('BEGIN')
    try {
      await conn.query(`INSERT INTO ${T} (id, c_text) VALUES ($1, $2)`, [20, 'committed'])
      await conn.query(`UPDATE ${T} SET c_int4 = 5 WHERE id = 20`)
      assert.deepEqual(await first(conn, `SELECT c_int4 FROM ${T} WHERE id = 20`), [5], 'the block does not read its own write')
      assert.deepEqual(await first(other, `SELECT count(*) FROM ${T} WHERE id = 20`), ['0'], 'uncommitted row visible')
      await conn.query('COMMIT')
    } catch (e) {
      await conn.query('ROLLBACK')
      throw e
    }
    assert.deepEqual(await first(other, `SELECT count(*), max(c_int4) FROM ${T} WHERE id = 20`), ['1', 5])
  })

  await step('tx_rollback', async () => {
    await conn.query('BEGIN')
    try {
      await conn.query(`INSERT INTO ${T} (id, c_text) VALUES ($1, $2)`, [21, 'rolled back'])
      await conn.query(`UPDATE ${T} SET c_int4 = 6 WHERE id = 20`)
      assert.deepEqual(await first(conn, `SELECT count(*) FROM ${T} WHERE id = 21`), ['1'])
    } finally {
      await conn.query('ROLLBACK')
    }
    for (const c of [conn, other]) {
      assert.deepEqual(await first(c, `SELECT count(*), sum(c_int4) FROM ${T} WHERE id IN (20, 21)`), ['1', '5'])
    }
  })

  // Reads row 30 and writes it back plus one, in one serializable block.
  async function increment (c, interfere) {
    await c.query('BEGIN ISOLATION LEVEL SERIALIZABLE')
    try {
      const [value] = await first(c, `SELECT c_int8 FROM ${T} WHERE id = 30`)
      if (interfere) await interfere()
      await c.query(`UPDATE ${T} SET c_int8 = $1 WHERE id = 30`, [String(BigInt(value) + 1n)])
      await c.query('COMMIT')
    } catch (e) {
      await c.query('ROLLBACK')
      throw e
    }
  }

  await step('serialization_retry', async () => {
    await conn.query(`INSERT INTO ${T} (id, c_int8) VALUES (30, 100)`)
    const failures = []
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await increment(conn, attempt === 0 ? () => increment(other) : null)
        break
      } catch (e) {
        if (e.code !== '40001') throw e
        failures.push(e.code)
      }
    }
    assert.deepEqual(failures, ['40001'], `serialization failures: ${failures}`)
    assert.deepEqual(await first(other, `SELECT c_int8 FROM ${T} WHERE id = 30`), ['102'])
  })

  await step('notifications', async () => {
    // The 'notification' event: what another connection notifies in a committed
    // transaction, with its pid; nothing of a rolled-back one.
    const channel = 'compat_node_events'
    const listener = await connect()
    try {
      const got = []
      let done
      const two = new Promise((resolve) => { done = resolve })
      listener.on('notification', (n) => {
        got.push([n.processId, n.channel, n.payload])
        if (got.length === 2) done()
      })
      await listener.query(`LISTEN ${channel}`)
      const [pid] = await first(other, 'SELECT pg_backend_pid()')
      await other.query('BEGIN')
      await other.query(`NOTIFY ${channel}, 'committed'`)
      await other.query('COMMIT')
      await other.query('BEGIN')
      await other.query('SELECT pg_notify($1, $2)', [channel, 'rolled back'])
      await other.query('ROLLBACK')
      await other.query('SELECT pg_notify($1, $2)', [channel, 'last'])
      await two
      assert.deepEqual(got, [[Number(pid), channel, 'committed'], [Number(pid), channel, 'last']])
    } finally {
      await listener.end()
    }
  })

  await conn.end()
  await other.end()
}

const { step, fail, finish } = steps('node-postgres')

main().catch((e) => fail('scenario', e)).finally(finish)
