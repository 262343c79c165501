// The second migration of the node-pg-migrate scenario (../pg_migrate.js).
exports.up = (pgm) => {
  pgm.addColumns('compat_pgm_users', { email: { type: 'text', unique: true } })
}

exports.down = (pgm) => {
  pgm.dropColumns('compat_pgm_users', ['email'])
}
