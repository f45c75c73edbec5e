// The native binding's surface matches what src/native.ts declares: at run time (the loaded
// addon has every function, with the documented result shapes) and at compile time (the
// generated index.d.ts is assignable to the hand-written declaration; see support/surface.ts).

import test from 'ava'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { tscPath } from './support/tsc.ts'
import { native } from '../dist/native.js'
import { readmeBlock } from './support/readmeBlock.cjs'

const root = fileURLToPath(new URL('..', import.meta.url))

test('the addon exports the declared functions and class', (t) => {
  const n = native() as unknown as Record<string, unknown>
  for (const f of ['verifyBlock', 'blockToText', 'compileBlock', 'runCode', 'freeCode', 'interpretBlock', 'codeMemoryStats']) {
    t.is(typeof n[f], 'function', f)
  }
})

test('result shapes', (t) => {
  const n = native()
  const bytes = readmeBlock().bytes
  const info = n.verifyBlock(bytes)
  t.deepEqual(Object.keys(info).sort(), ['opCount', 'pc', 'stateSize'])
  t.is(typeof info.pc, 'bigint')
  t.is(typeof info.opCount, 'number')
  t.is(typeof info.stateSize, 'number')
  const state = new Uint8Array(96)
  const r = n.interpretBlock(bytes, state, new Uint8Array(0), 10)
  t.deepEqual(Object.keys(r).sort(), ['aux', 'fuelLeft', 'pc', 'reason'])
  t.is(typeof r.reason, 'number')
  for (const k of ['pc', 'aux', 'fuelLeft'] as const) t.is(typeof r[k], 'bigint', k)
  const code = n.compileBlock(bytes, { optLevel: 'none' })
  t.deepEqual(Object.keys(code).sort(), ['id', 'optLevel', 'pc', 'size'])
  t.is(typeof code.id, 'number')
  t.is(typeof code.size, 'number')
  t.is(code.optLevel, 'none')
  t.is(code.pc, 0x1000n)
  t.deepEqual(Object.keys(n.runCode(code.id, state, new Uint8Array(0), Infinity)).sort(), ['aux', 'fuelLeft', 'pc', 'reason'])
  t.true(n.freeCode(code.id))
  t.false(n.freeCode(code.id), 'freeing twice does nothing')
  t.throws(() => n.runCode(code.id, state, new Uint8Array(0), Infinity), { message: /code handle freed/ })
  t.not(n.compileBlock(bytes, { optLevel: 'none' }).id, code.id, 'ids are never reused')
  const stats = n.codeMemoryStats()
  t.is(typeof stats.liveBytes, 'number')
  t.is(typeof stats.liveHandles, 'number')
})

test('generated index.d.ts matches the declared surface (tsc)', (t) => {
  const tsc = tscPath()
  const r = spawnSync(process.execPath, [tsc, '-p', '__test__/tsconfig.json'], { cwd: root, encoding: 'utf8' })
  t.is(r.status, 0, r.stdout + r.stderr)
})
