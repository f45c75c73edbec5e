// The README example, verbatim in examples/readme.js, prints `exit 1010 523776n`; and the same
// block computes the same in the interpreter and at every optLevel.

import test from 'ava'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { CraneliftBackend, Interpreter } from 'vm-jit-native'
import type { RunExit } from 'vm-jit-native'
import { OPT_LEVELS } from './support/engines.ts'
import { readmeBlock } from './support/readmeBlock.cjs'

const root = fileURLToPath(new URL('..', import.meta.url))

test('examples/readme.js prints exit 1010 523776n', (t) => {
  const r = spawnSync(process.execPath, ['examples/readme.js'], { cwd: root, encoding: 'utf8' })
  t.is(r.stderr, '')
  t.is(r.status, 0)
  t.is(r.stdout, 'exit 1010 523776n\n')
})

function fresh() {
  const state = new BigUint64Array(32)
  const memory = new BigUint64Array(1024).map((_, k) => BigInt(k))
  state[11] = 1024n
  return { state, memory }
}

const expected: RunExit = { reason: 'exit', pc: 0x1010n, fuelLeft: 1_000_000_000n - 1024n }

test('interpreter computes it', (t) => {
  const { state, memory } = fresh()
  const exit = new Interpreter().run(readmeBlock(), state, memory)
  t.deepEqual(exit, expected)
  t.is(`${exit.reason} ${exit.pc.toString(16)} ${state[10]}n`, 'exit 1010 523776n')
})

for (const optLevel of OPT_LEVELS) {
  test(`optLevel ${optLevel} computes it`, (t) => {
    const { state, memory } = fresh()
    const code = new CraneliftBackend({ optLevel }).compile(readmeBlock())
    const exit = code.run(state, memory)
    t.deepEqual(exit, expected)
    t.is(state[10], 523776n)
    t.is(state.filter((x, k) => k !== 10 && k !== 11 && x !== 0n).length, 0)
    code.free()
  })
}
