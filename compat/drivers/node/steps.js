// The step runner the Node.js scenarios share (compat/drivers/README.md): each
// step prints PASS or FAIL with its error and the next one still runs; finish()
// prints the tally and exits 1 if any failed.
'use strict'

const assert = require('assert/strict')

const STEP_TIMEOUT_MS = 60000 // guards against a server that never answers; measures nothing

function steps (driver) {
  let ok = 0
  let failed = 0
  return {
    async step (name, fn) {
      let timer
      try {
        await Promise.race([
          fn(),
          new Promise((resolve, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer from the server within ${STEP_TIMEOUT_MS / 1000} s`)), STEP_TIMEOUT_MS)
          }),
        ])
        console.log(`PASS ${name}`)
        ok++
        return true
      } catch (e) {
        const code = e.code ? ` [SQLSTATE ${e.code}]` : ''
        console.log(`FAIL ${name}: ${e.message.split('\n').slice(0, 12).join('\n    ')}${code}`)
        failed++
        return false
      } finally {
        clearTimeout(timer)
      }
    },
    fail (name, e) {
      console.log(`FAIL ${name}: ${e.stack}`)
      failed++
    },
    finish () {
      console.log(`${driver}: ${ok} steps passed, ${failed} steps failed`)
      process.exit(failed ? 1 : 0)
    },
  }
}

// Resolves to the error of `promise`, which must fail with SQLSTATE `code`
// (`codeOf` reads it from what the library throws).
async function expectError (code, promise, codeOf = (e) => e.code) {
  try {
    await promise
  } catch (e) {
    assert.equal(codeOf(e), code, `expected SQLSTATE ${code}, got ${codeOf(e)}: ${e.message}`)
    return e
  }
  assert.fail(`expected an error with SQLSTATE ${code}, got none`)
}

// The package `name` a scenario drives, or exit 2 saying how to install it.
function need (name) {
  try {
    return require(name)
  } catch (e) {
    console.error(`${name} is not installed (${e.message}): run .ci/run, which installs the drivers`)
    process.exit(2)
  }
}

// The server's URL, the scenario's one argument; exit 2 with its usage if missing.
function urlFromArgv () {
  const url = process.argv[2]
  if (!url) {
    console.error(`usage: node ${require('path').basename(process.argv[1])} POSTGRES_URL`)
    process.exit(2)
  }
  return url
}

module.exports = { steps, expectError, need, urlFromArgv }
