// The ORM scenario (compat/drivers/README.md) with Sequelize 6 on node-postgres:
// sync (CREATE TABLE with indexes and a foreign key), sync({ alter: true }), which
// reads the tables back through information_schema and pg_catalog and alters
// every column again (Sequelize 6 does so whatever differs), creates and bulk creates, queries with operators and an eager join, a
// managed transaction, a unique violation, and the query interface's
// introspection. Usage: node sequelize.js POSTGRES_URL
'use strict'

const assert = require('assert/strict')
const { steps, expectError, need, urlFromArgv } = require('./steps')

const { Sequelize, DataTypes, Op } = need('sequelize')
const URL = urlFromArgv()
const { step, fail, finish } = steps('sequelize')
// Sequelize sets its session's zone with SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE.
const sequelize = new Sequelize(URL, { logging: false })
const codeOf = (e) => e.original && e.original.code

const Owner = sequelize.define('Owner', {
  name: { type: DataTypes.STRING(40), allowNull: false, unique: true },
  age: DataTypes.INTEGER,
  meta: DataTypes.JSONB,
  active: { type: DataTypes.BOOLEAN, defaultValue: true },
}, { tableName: 'compat_sequelize_owner', indexes: [{ fields: ['age'] }] })
const Pet = sequelize.define('Pet', {
  title: DataTypes.STRING,
  weight: DataTypes.DECIMAL(6, 2),
}, { tableName: 'compat_sequelize_pet' })
Owner.hasMany(Pet)
Pet.belongsTo(Owner)

async function main () {
  await step('sync', async () => {
    await sequelize.sync({ force: true })
    // Reads the tables back from the catalog, then alters every column again.
    await sequelize.sync({ alter: true })
  })

  await step('create', async () => {
    const ann = await Owner.create({ name: 'ann', age: 30, meta: { likes: ['cats'] } })
    assert.equal(typeof ann.id, 'number')
    await Owner.bulkCreate([{ name: 'bob', age: 20 }, { name: 'cy', age: 40, active: false }])
    await Pet.bulkCreate([
      { title: 'rex', weight: '12.50', OwnerId: ann.id },
      { title: 'tom', weight: '4.25', OwnerId: ann.id },
    ])
    assert.equal(await Owner.count(), 3)
  })

  await step('queries', async () => {
    assert.equal(await Owner.count({ where: { age: { [Op.gt]: 25 } } }), 2)
    assert.equal(await Owner.count({ where: { name: { [Op.iLike]: 'B%' } } }), 1)
    const owners = await Owner.findAll({ include: Pet, order: [['name', 'ASC']] })
    assert.deepEqual(owners.map((o) => [o.name, o.Pets.length]), [['ann', 2], ['bob', 0], ['cy', 0]])
    const ann = await Owner.findOne({ where: { name: 'ann' } })
    assert.deepEqual(ann.meta, { likes: ['cats'] })
    assert.equal(ann.active, true)
    assert.equal(await Pet.sum('weight'), 16.75)
  })

  await step('transaction', async () => {
    await sequelize.transaction(async (t) => {
      await Owner.update({ age: 31 }, { where: { name: 'ann' }, transaction: t })
    })
    assert.equal((await Owner.findOne({ where: { name: 'ann' } })).age, 31)
    await assert.rejects(sequelize.transaction(async (t) => {
      await Owner.update({ age: 99 }, { where: { name: 'bob' }, transaction: t })
      throw new Error('undo')
    }), /undo/)
    assert.equal((await Owner.findOne({ where: { name: 'bob' } })).age, 20)
  })

  await step('unique_violation', async () => {
    await expectError('23505', Owner.create({ name: 'ann' }), codeOf)
    assert.equal(await Owner.count(), 3)
  })

  await step('introspection', async () => {
    const qi = sequelize.getQueryInterface()
    const columns = await qi.describeTable('compat_sequelize_owner')
    assert.deepEqual(Object.keys(columns), ['id', 'name', 'age', 'meta', 'active', 'createdAt', 'updatedAt'])
    assert.equal(columns.name.type, 'CHARACTER VARYING(40)')
    assert.equal(columns.name.allowNull, false)
    assert.equal(columns.active.defaultValue, true)
    assert.equal(columns.id.primaryKey, true)
    const indexes = (await qi.showIndex('compat_sequelize_owner')).map((i) => i.name).sort()
    assert.deepEqual(indexes.filter((n) => !n.startsWith('compat_sequelize_owner_name_key')),
      ['compat_sequelize_owner_age', 'compat_sequelize_owner_pkey'])
    const references = await qi.getForeignKeyReferencesForTable('compat_sequelize_pet')
    assert.deepEqual(references.map((r) => [r.columnName, r.referencedTableName, r.referencedColumnName]),
      [['OwnerId', 'compat_sequelize_owner', 'id']])
  })

  await sequelize.close()
}

main().catch((e) => fail('scenario', e)).finally(finish)
