#!/usr/bin/env node
// npm `install` script: make sure a native addon that fits this machine is present, building it
// from the Rust sources only when no prebuilt `vm-jit-native.*.node` (or platform package) loads.
//
// It says what it does, and it does not fail a consumer's install for reasons they cannot act on:
// when the addon cannot be built there (no Rust toolchain, or the build failed) it prints why and
// how to fix it, and exits 0 — the package then throws one clear Error at its first native call.
// In a development checkout (not under node_modules/) a failed build does fail `npm install`,
// because the developer has to see it.
//
// Environment: VMJIT_SKIP_BUILD=1 skips everything; VMJIT_FORCE_BUILD=1 rebuilds even if an addon
// already loads.

'use strict'

const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

const root = path.resolve(__dirname, '..')
const isConsumerInstall = root.split(path.sep).includes('node_modules')

function log(message) {
  console.log(`vm-jit-native: ${message}`)
}

/** Loads the napi loader in a child process, so a broken binary cannot take this script down. */
function addonLoads() {
  const loader = path.join(root, 'index.js')
  if (!fs.existsSync(loader)) return { ok: false, why: 'index.js (the napi-generated loader) is missing' }
  const r = spawnSync(process.execPath, ['-e', 'require(process.argv[1]).verifyBlock', loader], { encoding: 'utf8' })
  if (r.status === 0) return { ok: true }
  const lines = `${r.stderr || ''}${r.error ? r.error.message : ''}`.trim().split('\n').map((l) => l.trim())
  const why = lines.find((l) => /^\w*Error: /.test(l)) || lines[0] || `exit code ${r.status}`
  return { ok: false, why: why.length > 200 ? `${why.slice(0, 200)}…` : why }
}

/** napi-rs's name for this platform, as in `vm-jit-native.<suffix>.node`. */
function platformSuffix() {
  const { platform, arch } = process
  if (platform === 'linux' && (arch === 'x64' || arch === 'arm64')) {
    const report = process.report && process.report.getReport ? process.report.getReport() : undefined
    const glibc = report && report.header && report.header.glibcVersionRuntime
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`
  }
  if (platform === 'darwin' && (arch === 'x64' || arch === 'arm64')) return `darwin-${arch}`
  if (platform === 'win32' && (arch === 'x64' || arch === 'arm64')) return `win32-${arch}-msvc`
  return undefined
}

function run(command, args) {
  log(`running: ${[command, ...args].join(' ')}`)
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit', shell: false })
  if (r.error) return { ok: false, why: r.error.message }
  return r.status === 0 ? { ok: true } : { ok: false, why: `exit code ${r.status}` }
}

/** With the napi CLI (a devDependency: present in a checkout), run the package's own build:native. */
function buildWithNapiCli() {
  let cli
  try {
    const pkg = require.resolve('@napi-rs/cli/package.json', { paths: [root] })
    const bin = require(pkg).bin
    cli = path.join(path.dirname(pkg), typeof bin === 'string' ? bin : bin.napi)
  } catch {
    return undefined
  }
  const script = require(path.join(root, 'package.json')).scripts['build:native']
  const args = script.split(/\s+/).filter(Boolean)
  if (args[0] !== 'napi') return undefined
  return run(process.execPath, [cli, ...args.slice(1)])
}

/** Without the napi CLI (a consumer install): plain cargo, then copy the library into place. */
function buildWithCargo() {
  const suffix = platformSuffix()
  if (!suffix) return { ok: false, why: `no build recipe for ${process.platform}-${process.arch}` }
  if (!fs.existsSync(path.join(root, 'index.js'))) return { ok: false, why: 'index.js (the loader) is missing from the package' }
  const cargo = process.env.CARGO || 'cargo'
  const probe = spawnSync(cargo, ['--version'], { encoding: 'utf8' })
  if (probe.error || probe.status !== 0) {
    return { ok: false, why: 'no Rust toolchain found (cargo is not on PATH; install it from https://rustup.rs)' }
  }
  // A consumer install builds in the package's own directory and removes the (large) build
  // directory afterwards; an explicit CARGO_TARGET_DIR is the user's and is left alone.
  const userTargetDir = process.env.CARGO_TARGET_DIR
  const targetDir = userTargetDir ? path.resolve(userTargetDir) : path.join(root, 'target')
  const built = run(cargo, ['build', '--release', '--locked', '--manifest-path', path.join('crates', 'vm-jit-napi', 'Cargo.toml'), '--target-dir', targetDir])
  if (!built.ok) return built
  const lib =
    process.platform === 'win32' ? 'vm_jit_napi.dll' : process.platform === 'darwin' ? 'libvm_jit_napi.dylib' : 'libvm_jit_napi.so'
  const from = path.join(targetDir, 'release', lib)
  const to = path.join(root, `vm-jit-native.${suffix}.node`)
  log(`copying ${path.relative(root, from)} to ${path.relative(root, to)}`)
  fs.copyFileSync(from, to)
  if (!userTargetDir && isConsumerInstall) {
    log(`removing the build directory ${path.relative(root, targetDir)}`)
    fs.rmSync(targetDir, { recursive: true, force: true })
  }
  return { ok: true }
}

function main() {
  if (process.env.VMJIT_SKIP_BUILD) {
    log('VMJIT_SKIP_BUILD is set: not checking or building the native addon')
    return 0
  }
  const force = Boolean(process.env.VMJIT_FORCE_BUILD)
  const before = addonLoads()
  if (before.ok && !force) {
    log('native addon loads; nothing to build (npm run build:native rebuilds it)')
    return 0
  }
  log(force ? 'VMJIT_FORCE_BUILD is set: building the native addon from source' : `no native addon loads here (${before.why}); building it from source`)

  const result = buildWithNapiCli() || buildWithCargo()
  const after = result.ok ? addonLoads() : result
  if (after.ok) {
    log('native addon built and loads')
    return 0
  }
  const rerun = isConsumerInstall ? `node ${path.join(root, 'scripts', 'install.js')}` : 'npm run build:native'
  const advice =
    `the native addon could not be built (${after.why}). IR building works, but compiling and running ` +
    `blocks will throw until it is: install Rust (https://rustup.rs) and run \`${rerun}\`, ` +
    `or set VMJIT_SKIP_BUILD=1 to silence this.`
  if (isConsumerInstall) {
    log(`warning: ${advice}`)
    return 0
  }
  log(`error: ${advice}`)
  return 1
}

process.exitCode = main()
