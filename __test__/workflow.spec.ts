// Offline lint of the GitHub Actions workflows in .github/workflows: a workflow that is broken
// (bad YAML, a job that cannot run, a `needs` or `matrix.*` that names nothing, an action on a
// moving branch) fails here, in `npm test`, instead of on GitHub after a push.
//
// Two layers, both offline:
//   - @action-validator/core: SchemaStore's github-workflow JSON schema, compiled into the
//     package's wasm (no network), plus its own check that `needs` resolves;
//   - lintWorkflow() below: structural rules the schema does not express, and this project's
//     own rule that the build (and test) matrix covers exactly package.json `napi.targets`.
// The negative tests feed broken workflows through the same lintWorkflow() and check that each
// problem is reported, so a checker that silently accepts everything cannot pass.

import test from 'ava'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { validateWorkflow } from '@action-validator/core'
import type { ValidationError } from '@action-validator/core'
import { isMap, isScalar, parseDocument } from 'yaml'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const WORKFLOWS = join(ROOT, '.github', 'workflows')
const NAPI_TARGETS: string[] = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).napi.targets

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type Obj = { [key: string]: Json }

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

interface LintOptions {
  /** Name used in messages. */
  file: string
  /** When set, the `targetJobs` must have a matrix whose `target`s are exactly these. */
  targets?: readonly string[]
  /** Jobs checked against `targets`; default `build` and `test`. */
  targetJobs?: readonly string[]
}

// ------------------------------------------------------------------------------------------------
// The checker

/** Every problem found in one workflow's source text; an empty array means it passes. */
function lintWorkflow(source: string, options: LintOptions): string[] {
  const problems: string[] = []
  const report = (where: string, what: string) => problems.push(`${options.file}: ${where}: ${what}`)

  // Text: GitHub rejects tabs in YAML indentation; allow none anywhere, they are never needed.
  source.split(/\r?\n/).forEach((line, i) => {
    if (line.includes('\t')) report(`line ${i + 1}`, 'contains a tab character')
  })

  // YAML, strictly (duplicate keys are errors).
  const doc = parseDocument(source, { prettyErrors: true, uniqueKeys: true })
  for (const error of doc.errors) report('YAML', error.message.split('\n')[0].replace(/:\s*$/, ''))
  if (doc.errors.length > 0) return problems
  if (!isMap(doc.contents)) {
    report('top level', 'is not a mapping')
    return problems
  }
  // A key `on` must stay the string "on": a YAML 1.1 reader would turn a bare on into true.
  for (const pair of doc.contents.items) {
    if (isScalar(pair.key) && typeof pair.key.value !== 'string') {
      report('top level', `key ${String(pair.key.value)} is not a string`)
    }
  }
  const wf = doc.toJS() as Json
  if (!isObj(wf)) return problems

  // The JSON schema (SchemaStore github-workflow), compiled into @action-validator/core.
  for (const error of validateWorkflow(source).errors) {
    report(`schema ${'path' in error && error.path ? error.path : '/'}`, describeSchemaError(error))
  }

  if (!('on' in wf)) report('top level', 'has no `on` (trigger)')
  if (!('jobs' in wf)) {
    report('top level', 'has no `jobs`')
    return problems
  }
  const jobs = wf.jobs
  if (!isObj(jobs) || Object.keys(jobs).length === 0) {
    report('jobs', 'is not a non-empty mapping')
    return problems
  }
  const jobIds = Object.keys(jobs)

  for (const [id, job] of Object.entries(jobs)) {
    const at = `jobs.${id}`
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(id)) report(at, 'job id must start with a letter or _ and hold only letters, digits, - and _')
    if (!isObj(job)) {
      report(at, 'is not a mapping')
      continue
    }

    // runs-on + steps, or a reusable workflow (uses, no steps).
    if ('uses' in job) {
      if ('steps' in job) report(at, 'has both `uses` (reusable workflow) and `steps`')
      checkActionRef(job.uses, `${at}.uses`, report)
    } else {
      if (!('runs-on' in job)) report(at, 'has no `runs-on`')
      const steps = job.steps
      if (!Array.isArray(steps) || steps.length === 0) {
        report(at, 'has no `steps`')
      } else {
        steps.forEach((step, i) => {
          const sat = `${at}.steps[${i}]${isObj(step) && typeof step.name === 'string' ? ` (${step.name})` : ''}`
          if (!isObj(step)) {
            report(sat, 'is not a mapping')
            return
          }
          const hasUses = 'uses' in step
          const hasRun = 'run' in step
          if (hasUses === hasRun) report(sat, `must have exactly one of \`uses\` and \`run\` (has ${hasUses ? 'both' : 'neither'})`)
          if (hasUses) checkActionRef(step.uses, `${sat}.uses`, report)
          if (hasRun && (typeof step.run !== 'string' || step.run.trim() === '')) report(sat, '`run` is empty')
        })
      }
    }

    // needs: existing jobs, not itself.
    for (const need of asList(job.needs)) {
      if (typeof need !== 'string') report(`${at}.needs`, `${JSON.stringify(need)} is not a job id`)
      else if (need === id) report(`${at}.needs`, 'names the job itself')
      else if (!jobIds.includes(need)) report(`${at}.needs`, `names a job that does not exist: ${need}`)
    }

    // matrix.X: every key used anywhere in the job is defined by its matrix.
    const matrix = isObj(job.strategy) ? job.strategy.matrix : undefined
    const keys = matrixKeys(matrix)
    for (const used of matrixReferences(job)) {
      if (keys === 'dynamic') continue
      if (keys.size === 0) report(at, `uses matrix.${used} but has no strategy.matrix`)
      else if (!keys.has(used)) report(at, `uses matrix.${used}, which its matrix does not define (it has: ${[...keys].sort().join(', ')})`)
    }
  }

  for (const cycle of needsCycles(jobs)) report('jobs', `\`needs\` form a cycle: ${cycle.join(' -> ')}`)

  // This project's platform matrix: build and test cover exactly the napi targets.
  if (options.targets) {
    for (const id of options.targetJobs ?? ['build', 'test']) {
      const job = jobs[id]
      if (!isObj(job)) {
        report(`jobs.${id}`, 'is missing (it must cover every napi target)')
        continue
      }
      const matrix = isObj(job.strategy) ? job.strategy.matrix : undefined
      const found = [...new Set(matrixValues(matrix, 'target'))].sort()
      const expected = [...options.targets].sort()
      const missing = expected.filter((t) => !found.includes(t))
      const extra = found.filter((t) => !expected.includes(t))
      if (missing.length > 0) report(`jobs.${id}.strategy.matrix`, `lacks napi targets: ${missing.join(', ')}`)
      if (extra.length > 0) report(`jobs.${id}.strategy.matrix`, `has targets that package.json napi.targets does not list: ${extra.join(', ')}`)
    }
  }

  return problems
}

function describeSchemaError(error: ValidationError): string {
  const parts = [error.title]
  if (error.detail) parts.push(error.detail)
  if ('states' in error && error.states) {
    // oneOf: show what each alternative wanted, so the message points at a cause.
    const details = new Set<string>()
    for (const state of error.states) for (const e of state.errors) details.add(`${'path' in e ? e.path : ''} ${e.detail ?? e.title}`.trim())
    parts.push(`[${[...details].join('; ')}]`)
  }
  return parts.join(': ')
}

function asList(value: Json | undefined): Json[] {
  if (value === undefined || value === null) return []
  return Array.isArray(value) ? value : [value]
}

/**
 * `owner/repo[/path]@vN[.N[.N]]` or `@<40-hex sha>`; `./local` actions are fine; `docker://`
 * images need a tag or a digest. Branches (`@main`, `@stable`, `@latest`) move under you.
 */
function checkActionRef(uses: Json | undefined, at: string, report: (where: string, what: string) => void): void {
  if (typeof uses !== 'string' || uses.trim() === '') {
    report(at, 'is not an action reference')
    return
  }
  if (uses.startsWith('./')) return
  if (uses.startsWith('docker://')) {
    if (!/^docker:\/\/[^@\s]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/.test(uses)) report(at, `docker image is not pinned to a tag or digest: ${uses}`)
    return
  }
  const match = /^([\w.-]+\/[\w.-]+(?:\/[^@\s]+)?)@(\S+)$/.exec(uses)
  if (!match) {
    report(at, `is not owner/repo@version: ${uses}`)
    return
  }
  const ref = match[2]
  if (!/^v\d+(\.\d+){0,2}$/.test(ref) && !/^[0-9a-f]{40}$/.test(ref)) {
    report(at, `is not pinned to a version (@vN) or a commit sha: ${uses}`)
  }
}

/** Keys a job's matrix defines: its own keys plus every key of an `include` entry. */
function matrixKeys(matrix: Json | undefined): Set<string> | 'dynamic' {
  const keys = new Set<string>()
  if (matrix === undefined) return keys
  if (typeof matrix === 'string') return 'dynamic' // ${{ fromJSON(...) }}: unknown until run time
  if (!isObj(matrix)) return keys
  for (const [key, value] of Object.entries(matrix)) {
    if (key === 'exclude') continue
    if (key === 'include') {
      if (typeof value === 'string') return 'dynamic'
      for (const entry of asList(value)) if (isObj(entry)) for (const k of Object.keys(entry)) keys.add(k)
    } else {
      keys.add(key)
    }
  }
  return keys
}

/** All values a matrix gives `key` (a list axis and/or include entries). */
function matrixValues(matrix: Json | undefined, key: string): string[] {
  if (!isObj(matrix)) return []
  const values: string[] = []
  for (const v of asList(matrix[key])) if (typeof v === 'string') values.push(v)
  for (const entry of asList(matrix.include)) if (isObj(entry) && typeof entry[key] === 'string') values.push(entry[key] as string)
  return values
}

/**
 * Names X of `matrix.X` in the job's expressions: inside `${{ }}` anywhere, and bare `if:`
 * conditions (which are expressions without the braces).
 */
function matrixReferences(job: Obj): Set<string> {
  const found = new Set<string>()
  const scanExpression = (expr: string) => {
    for (const m of expr.matchAll(/(?<![\w.-])matrix\.([A-Za-z_][\w-]*)/g)) found.add(m[1])
    for (const m of expr.matchAll(/(?<![\w.-])matrix\[\s*'([^']+)'\s*\]/g)) found.add(m[1])
  }
  const walk = (value: Json, key?: string) => {
    if (typeof value === 'string') {
      for (const m of value.matchAll(/\$\{\{([\s\S]*?)\}\}/g)) scanExpression(m[1])
      if (key === 'if' && !value.includes('${{')) scanExpression(value)
    } else if (Array.isArray(value)) {
      for (const v of value) walk(v)
    } else if (isObj(value)) {
      for (const [k, v] of Object.entries(value)) {
        if (k === 'strategy') continue // the matrix's own definition
        walk(v, k)
      }
    }
  }
  walk(job)
  return found
}

/** Each cycle in the `needs` graph, once. */
function needsCycles(jobs: Obj): string[][] {
  const cycles: string[][] = []
  const state = new Map<string, 'active' | 'done'>()
  const stack: string[] = []
  const visit = (id: string) => {
    state.set(id, 'active')
    stack.push(id)
    const job = jobs[id]
    for (const need of isObj(job) ? asList(job.needs) : []) {
      if (typeof need !== 'string' || need === id || !(need in jobs)) continue
      if (state.get(need) === 'active') cycles.push([...stack.slice(stack.indexOf(need)), need])
      else if (!state.has(need)) visit(need)
    }
    stack.pop()
    state.set(id, 'done')
  }
  for (const id of Object.keys(jobs)) if (!state.has(id)) visit(id)
  return cycles
}

// ------------------------------------------------------------------------------------------------
// The repository's workflows

const workflowFiles = readdirSync(WORKFLOWS)
  .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
  .sort()

test('there are workflows, and CI.yml is one of them', (t) => {
  t.true(workflowFiles.length > 0, `no workflows in ${WORKFLOWS}`)
  t.true(workflowFiles.includes('CI.yml'))
})

test('package.json napi.targets lists the eight platforms CI builds for', (t) => {
  t.deepEqual([...NAPI_TARGETS].sort(), [
    'aarch64-apple-darwin',
    'aarch64-pc-windows-msvc',
    'aarch64-unknown-linux-gnu',
    'aarch64-unknown-linux-musl',
    'x86_64-apple-darwin',
    'x86_64-pc-windows-msvc',
    'x86_64-unknown-linux-gnu',
    'x86_64-unknown-linux-musl',
  ])
})

for (const file of workflowFiles) {
  test(`workflow ${file} passes the lint`, (t) => {
    const source = readFileSync(join(WORKFLOWS, file), 'utf8')
    const problems = lintWorkflow(source, { file, targets: file === 'CI.yml' ? NAPI_TARGETS : undefined })
    t.deepEqual(problems, [], problems.join('\n'))
  })
}

test('CI.yml: publish runs only on v* tags, after every build, test and cargo job', (t) => {
  const ci = parseDocument(readFileSync(join(WORKFLOWS, 'CI.yml'), 'utf8')).toJS()
  const publish = ci.jobs.publish
  t.truthy(publish, 'CI.yml has a publish job')
  t.regex(String(publish.if), /startsWith\(\s*github\.ref\s*,\s*'refs\/tags\/v'\s*\)/)
  t.deepEqual([...asList(publish.needs)].sort(), ['build', 'rust', 'test'])
  const runs = (publish.steps as Obj[]).map((s) => String(s.run ?? '')).join('\n')
  t.regex(runs, /napi pre-publish -t npm/)
  t.regex(runs, /napi artifacts/)
})

test('CI.yml: the rust job runs cargo test --workspace --locked on Linux', (t) => {
  const ci = parseDocument(readFileSync(join(WORKFLOWS, 'CI.yml'), 'utf8')).toJS()
  t.regex(String(ci.jobs.rust['runs-on']), /^ubuntu-/)
  const runs = (ci.jobs.rust.steps as Obj[]).map((s) => String(s.run ?? '')).join('\n')
  t.regex(runs, /cargo test --workspace --locked/)
})

test('CI.yml: tests run on Node 20 and 22 for linux x64', (t) => {
  const ci = parseDocument(readFileSync(join(WORKFLOWS, 'CI.yml'), 'utf8')).toJS()
  const include = ci.jobs.test.strategy.matrix.include as Obj[]
  for (const target of ['x86_64-unknown-linux-gnu', 'x86_64-unknown-linux-musl']) {
    const nodes = include.filter((e) => e.target === target).map((e) => String(e.node))
    t.deepEqual(nodes.sort(), ['20', '22'], target)
  }
})

// ------------------------------------------------------------------------------------------------
// The checker catches broken workflows

const GOOD = `name: sample
'on':
  push:
jobs:
  build:
    runs-on: \${{ matrix.host }}
    strategy:
      matrix:
        target: [a-target]
        include:
          - target: a-target
            host: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - name: Build
        if: contains(matrix.target, 'a')
        run: echo \${{ matrix.target }}
  test:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-node@0a44ba7841725637a19e28fa30b79a866c81b0a6
      - run: echo ok
`

test('lint: a correct sample passes (so the negative cases below fail for their own reason)', (t) => {
  t.deepEqual(lintWorkflow(GOOD, { file: 'good.yml', targets: ['a-target'], targetJobs: ['build'] }), [])
})

const BROKEN: Array<[string, (good: string) => string, RegExp]> = [
  ['a tab', (s) => s.replace('      - run: echo ok', '\t- run: echo ok'), /line 23: contains a tab/],
  ['invalid YAML', (s) => s.replace('runs-on: ubuntu-latest', 'runs-on: [ubuntu-latest'), /YAML: /],
  ['a plain scalar holding ": "', (s) => s.replace('run: echo ok', "run: node -p \"'a: b'\""), /YAML: /],
  ['a duplicate key', (s) => s.replace('    needs: build\n', '    needs: build\n    needs: build\n'), /YAML: .*[Uu]nique|YAML: .*duplicate/i],
  ['no `on`', (s) => s.replace("'on':\n  push:\n", ''), /has no `on`/],
  ['no `jobs`', (s) => s.slice(0, s.indexOf('jobs:')), /has no `jobs`/],
  ['a job without runs-on', (s) => s.replace('    runs-on: ubuntu-latest\n', ''), /jobs\.test: has no `runs-on`/],
  ['a job without steps', (s) => s.slice(0, s.lastIndexOf('    steps:')), /jobs\.test: has no `steps`/],
  ['a step with both uses and run', (s) => s.replace('      - uses: actions/checkout@v5', '      - uses: actions/checkout@v5\n        run: echo'), /steps\[0\]: must have exactly one of `uses` and `run` \(has both\)/],
  ['a step with neither uses nor run', (s) => s.replace('      - run: echo ok', '      - name: nothing'), /steps\[1\] \(nothing\): must have exactly one of `uses` and `run` \(has neither\)/],
  ['needs naming a missing job', (s) => s.replace('needs: build', 'needs: [build, lint]'), /jobs\.test\.needs: names a job that does not exist: lint/],
  ['needs naming the job itself', (s) => s.replace('needs: build', 'needs: test'), /jobs\.test\.needs: names the job itself/],
  ['a needs cycle', (s) => s.replace('    runs-on: ${{ matrix.host }}', '    needs: test\n    runs-on: ${{ matrix.host }}'), /cycle: (build -> test -> build|test -> build -> test)/],
  ['an undefined matrix key', (s) => s.replace('echo ${{ matrix.target }}', 'echo ${{ matrix.triple }}'), /jobs\.build: uses matrix\.triple, which its matrix does not define/],
  ['an undefined matrix key in a bare if', (s) => s.replace("contains(matrix.target, 'a')", "contains(matrix.os, 'a')"), /jobs\.build: uses matrix\.os/],
  ['matrix use without a matrix', (s) => s.replace('      - run: echo ok', '      - run: echo ${{ matrix.node }}'), /jobs\.test: uses matrix\.node but has no strategy\.matrix/],
  ['an action on a branch', (s) => s.replace('actions/checkout@v5', 'actions/checkout@main'), /is not pinned to a version \(@vN\) or a commit sha: actions\/checkout@main/],
  ['an action without a ref', (s) => s.replace('actions/checkout@v5', 'actions/checkout'), /is not owner\/repo@version: actions\/checkout/],
  ['a short sha', (s) => s.replace('0a44ba7841725637a19e28fa30b79a866c81b0a6', '0a44ba7'), /is not pinned/],
  ['a schema violation (unknown job key)', (s) => s.replace('    runs-on: ubuntu-latest', '    runs-on: ubuntu-latest\n    timeout: 5'), /schema \/jobs\/test: .*timeout/],
  ['a misspelt runs-on', (s) => s.replace('    runs-on: ubuntu-latest', '    runs_on: ubuntu-latest'), /jobs\.test: has no `runs-on`/],
]

for (const [what, mutate, expected] of BROKEN) {
  test(`lint reports ${what}`, (t) => {
    const broken = mutate(GOOD)
    t.not(broken, GOOD, 'the mutation changed the sample')
    const problems = lintWorkflow(broken, { file: 'broken.yml', targets: ['a-target'], targetJobs: ['build'] })
    t.true(
      problems.some((p) => expected.test(p)),
      `expected a problem matching ${expected}, got:\n${problems.join('\n') || '(none)'}`,
    )
  })
}

test('lint reports a build matrix that misses or adds napi targets', (t) => {
  const problems = lintWorkflow(GOOD, { file: 'targets.yml', targets: ['a-target', 'b-target'], targetJobs: ['build'] })
  t.true(problems.some((p) => /jobs\.build\.strategy\.matrix: lacks napi targets: b-target/.test(p)), problems.join('\n'))
  const extra = lintWorkflow(GOOD.replace('target: [a-target]', 'target: [a-target, z-target]'), { file: 'targets.yml', targets: ['a-target'], targetJobs: ['build'] })
  t.true(extra.some((p) => /has targets that package\.json napi\.targets does not list: z-target/.test(p)), extra.join('\n'))
})

test('lint reports every problem of a thoroughly broken workflow at once', (t) => {
  const broken = `name: broken
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@master
      - run: echo \${{ matrix.target }}
  test:
    needs: [build, package]
    steps:
      - name: no action
`
  const problems = lintWorkflow(broken, { file: 'broken.yml', targets: ['x86_64-unknown-linux-gnu'] })
  const expected = [
    /has no `on`/,
    /actions\/checkout@master/,
    /jobs\.build: uses matrix\.target but has no strategy\.matrix/,
    /jobs\.test: has no `runs-on`/,
    /jobs\.test\.needs: names a job that does not exist: package/,
    /jobs\.test\.steps\[0\] \(no action\): must have exactly one/,
    /jobs\.build\.strategy\.matrix: lacks napi targets: x86_64-unknown-linux-gnu/,
    /schema /,
  ]
  for (const re of expected) t.true(problems.some((p) => re.test(p)), `expected ${re} in:\n${problems.join('\n')}`)
})
