// The package as consumers see it: `require('vm-jit-native')` and `import … from 'vm-jit-native'`
// both work (and type-check), and the published file list holds what a consumer needs.

import test from 'ava'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { tscPath } from './support/tsc.ts'

const root = fileURLToPath(new URL('..', import.meta.url))

test('require() from CommonJS', (t) => {
  const r = spawnSync(process.execPath, ['__test__/smoke/require.cjs'], { cwd: root, encoding: 'utf8' })
  t.is(r.stderr, '')
  t.is(r.stdout, 'cjs exit 14 43 string\n')
})

test('import from an ES module', (t) => {
  const r = spawnSync(process.execPath, ['__test__/smoke/import.mjs'], { cwd: root, encoding: 'utf8' })
  t.is(r.stderr, '')
  t.is(r.stdout, 'esm exit 14 43 true\n')
})

test('types resolve for .cts and .mts consumers (moduleResolution nodenext)', (t) => {
  const tsc = tscPath()
  const r = spawnSync(process.execPath, [tsc, '-p', '__test__/smoke/tsconfig.json'], { cwd: root, encoding: 'utf8' })
  t.is(r.status, 0, r.stdout + r.stderr)
})

test('the published files hold the build, the loader and the sources to build from', (t) => {
  const npm = process.env.npm_execpath
  const r = npm
    ? spawnSync(process.execPath, [npm, 'pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' })
    : spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', shell: process.platform === 'win32' })
  t.is(r.status, 0, r.stderr)
  const files = new Set<string>((JSON.parse(r.stdout)[0].files as Array<{ path: string }>).map((f) => f.path))
  for (const f of ['package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/vm-jit-riscv.cjs', 'dist/vm-jit-riscv.main.cjs', 'dist/vm-jit-riscv.code-cache', 'index.js', 'index.d.ts', 'scripts/install.js', 'Cargo.toml', 'Cargo.lock', 'crates/vm-jit-napi/Cargo.toml', 'crates/vm-jit-core/src/lib.rs']) {
    t.true(files.has(f), `${f} is published`)
  }
  for (const f of files) {
    t.false(/^(__test__|target|node_modules|bench|examples|\.github|\.ci)\//.test(f), `${f} is not published`)
  }
})
