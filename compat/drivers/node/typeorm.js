// The ORM scenario (compat/drivers/README.md) with TypeORM 0.3 on node-postgres:
// synchronize (which reads the schema back through information_schema and
// pg_catalog and creates what is missing), a second synchronize that finds
// nothing to change, saves with relations, an eager find, a query builder
// aggregate, a transaction, a unique violation, and the query runner's
// introspection of a table. Usage: node typeorm.js POSTGRES_URL
'use strict'

const assert = require('assert/strict')
const { steps, expectError, need, urlFromArgv } = require('./steps')

need('reflect-metadata')
const { DataSource, EntitySchema } = need('typeorm')
const URL = urlFromArgv()
const { step, fail, finish } = steps('typeorm')

const Author = new EntitySchema({
  name: 'Author',
  tableName: 'compat_typeorm_author',
  columns: {
    id: { type: 'int', primary: true, generated: true },
    name: { type: 'varchar', length: 50, unique: true },
    born: { type: 'date', nullable: true },
    tags: { type: 'text', array: true, nullable: true }, // written `text array`
    data: { type: 'jsonb', nullable: true },
  },
  relations: { books: { type: 'one-to-many', target: 'Book', inverseSide: 'author' } },
  indices: [{ name: 'compat_typeorm_author_born', columns: ['born'] }],
})
const Book = new EntitySchema({
  name: 'Book',
  tableName: 'compat_typeorm_book',
  columns: {
    id: { type: 'uuid', primary: true, generated: 'uuid' }, // DEFAULT uuid_generate_v4()
    title: { type: 'varchar' },
    price: { type: 'numeric', precision: 10, scale: 2, default: 0 },
    created: { type: 'timestamptz', createDate: true },
  },
  relations: { author: { type: 'many-to-one', target: 'Author', joinColumn: true, onDelete: 'CASCADE' } },
})
const source = new DataSource({ type: 'postgres', url: URL, entities: [Author, Book] })
const queries = []
const recorded = { logQuery: (query) => queries.push(query), logQueryError () {}, logQuerySlow () {}, logSchemaBuild () {}, logMigration () {}, log () {} }

async function main () {
  await source.initialize()

  await step('synchronize', async () => {
    const runner = source.createQueryRunner()
    for (const table of ['compat_typeorm_book', 'compat_typeorm_author']) {
      await runner.query(`DROP TABLE IF EXISTS ${table}`)
    }
    await runner.release()
    await source.synchronize()
    // The second run compares the entities with the catalog: no DDL at all.
    source.logger = recorded
    source.driver.connection.logger = recorded
    await source.synchronize()
    assert.ok(queries.some((q) => /information_schema/.test(q)), 'the catalog was read')
    const ddl = queries.filter((q) => /^\s*(CREATE|ALTER|DROP)\b/i.test(q))
    assert.deepEqual(ddl, [], 'a second synchronize changes nothing')
  })

  const authors = source.getRepository('Author')
  const books = source.getRepository('Book')

  await step('save', async () => {
    const ann = await authors.save({ name: 'ann', born: '1980-01-02', tags: ['x', 'y'], data: { k: 1 } })
    assert.equal(typeof ann.id, 'number')
    const saved = await books.save([{ title: 'b1', price: 9.5, author: ann }, { title: 'b2', author: ann }])
    assert.match(saved[0].id, /^[0-9a-f]{8}-[0-9a-f]{4}-4/)
  })

  await step('find', async () => {
    const [ann] = await authors.find({ relations: { books: true }, where: { name: 'ann' } })
    assert.deepEqual([ann.name, ann.tags, ann.data, ann.books.length], ['ann', ['x', 'y'], { k: 1 }, 2])
    const sum = await books.createQueryBuilder('b').select('SUM(b.price)', 'total').getRawOne()
    assert.equal(sum.total, '9.50')
  })

  await step('transaction', async () => {
    await source.transaction(async (m) => {
      await m.getRepository('Author').update({ name: 'ann' }, { born: '1981-01-01' })
    })
    assert.equal((await authors.findOneBy({ name: 'ann' })).born, '1981-01-01')
    await assert.rejects(source.transaction(async (m) => {
      await m.getRepository('Author').update({ name: 'ann' }, { born: '1999-09-09' })
      throw new Error('undo')
    }), /undo/)
    assert.equal((await authors.findOneBy({ name: 'ann' })).born, '1981-01-01')
  })

  await step('unique_violation', async () => {
    await expectError('23505', authors.insert({ name: 'ann' }), (e) => e.driverError && e.driverError.code)
  })

  await step('introspection', async () => {
    const runner = source.createQueryRunner()
    const table = await runner.getTable('compat_typeorm_book')
    await runner.release()
    assert.deepEqual(table.columns.map((c) => `${c.name}:${c.type}`),
      ['id:uuid', 'title:character varying', 'price:numeric', 'created:timestamp with time zone', 'authorId:integer'])
    assert.equal(table.foreignKeys.length, 1)
    assert.equal(table.foreignKeys[0].onDelete, 'CASCADE')
  })

  await source.destroy()
}

main().catch((e) => fail('scenario', e)).finally(finish)
