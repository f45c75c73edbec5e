#!/usr/bin/env node
// The `vm-jit-riscv` command (copied to dist/vm-jit-riscv.cjs by scripts/bundle-cli.js): runs the
// bundled CLI, dist/vm-jit-riscv.main.cjs, from V8's code cache for it,
// dist/vm-jit-riscv.code-cache (written at build time by running examples' hello.elf once).
//
// Why: a run of the emulator is a short-lived process, and V8 compiling the bundle's functions
// as they are first called (parse, bytecode) was ~10 % of a hello-world run; with the cache it
// deserializes their bytecode instead. V8 checks the cache against its version and flags and
// ignores one it cannot use (another Node, `--opt`): the bundle then compiles as usual (`--verbose`
// says which). Set VMJIT_RISCV_WRITE_CODE_CACHE=1 to write the cache after the run instead.

'use strict'

const fs = require('node:fs')
const path = require('node:path')
const vm = require('node:vm')
const Module = require('node:module')
const v8 = require('node:v8')

// The CLI turns V8's optimising compiler off (examples/riscv/cli.ts says why). The flags are part
// of what a code cache must match, so they are set before the bundle is compiled, here, as well.
if (!process.execArgv.some((a) => a.startsWith('--opt') || a.startsWith('--turbofan'))) v8.setFlagsFromString('--no-opt')

const main = path.join(__dirname, 'vm-jit-riscv.main.cjs')
const cacheFile = path.join(__dirname, 'vm-jit-riscv.code-cache')
const writeCache = process.env.VMJIT_RISCV_WRITE_CODE_CACHE === '1'

let cachedData
if (!writeCache) {
  try {
    cachedData = fs.readFileSync(cacheFile)
  } catch {
    // No cache (a build without one): compile as usual.
  }
}
let source = fs.readFileSync(main, 'utf8')
if (source.startsWith('#!')) source = '//' + source.slice(2) // a hashbang is only valid at the very start
const script = new vm.Script(Module.wrap(source), { filename: main, cachedData })
// `--verbose` (the CLI's flag; options come before the program) says whether the cache was used.
let verbose = false
for (let k = 2; k < process.argv.length; k++) {
  const a = process.argv[k]
  if (a === '--tier' || a === '--engine' || a === '--memory') k++ // an option with a value
  else if (a === '--verbose') verbose = true
  else if (!a.startsWith('-')) break // the program: what follows is the guest's
}
if (verbose && !writeCache) {
  const how = cachedData === undefined ? 'none (compiling)' : script.cachedDataRejected ? 'rejected by this V8 (compiling)' : 'used'
  process.stderr.write(`vm-jit-riscv: code cache ${how}\n`)
}

// The bundle runs as the CommonJS module it is: its own `module`, and a `require` that resolves
// from dist/ (it requires ../index.js, the native addon's loader).
const bundle = new Module(main, module)
bundle.filename = main
bundle.paths = Module._nodeModulePaths(__dirname)
const bundleRequire = (id) => bundle.require(id)
bundleRequire.resolve = (id) => Module._resolveFilename(id, bundle)
bundleRequire.main = require.main
bundleRequire.cache = require.cache

if (writeCache) process.on('exit', () => fs.writeFileSync(cacheFile, script.createCachedData()))
script.runInThisContext().call(bundle.exports, bundle.exports, bundleRequire, bundle, main, __dirname)
