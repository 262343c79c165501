// The first migration of the node-pg-migrate scenario (../pg_migrate.js).
exports.up = (pgm) => {
  pgm.createTable('compat_pgm_users', {
    id: 'id',
    name: { type: 'varchar(100)', notNull: true },
    created_at: { type: 'timestamptz', notNull: true, default: pgm.func('current_timestamp') },
  })
  pgm.createTable('compat_pgm_posts', {
    id: 'id',
    user_id: { type: 'integer', notNull: true, references: 'compat_pgm_users', onDelete: 'CASCADE' },
    body: { type: 'text', notNull: true },
  })
  pgm.createIndex('compat_pgm_posts', 'user_id')
}

exports.down = (pgm) => {
  pgm.dropTable('compat_pgm_posts')
  pgm.dropTable('compat_pgm_users')
}
