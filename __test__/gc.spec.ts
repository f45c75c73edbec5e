// Garbage collection releases native code: handles that become unreachable give their executable
// memory back without free(), and compile/free churn leaves nothing behind. Runs in a child process
// started with --expose-gc so the test can force collections.

import test from 'ava'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

interface Stats {
  liveBytes: number
  liveHandles: number
  cachedBytes: number
}

interface Report {
  n: number
  base: Stats
  held: Stats
  collected: boolean
  afterGc: Stats
  withOne: Stats
  afterFree: Stats
  afterChurn: Stats
  peakHandles: number
  peakLiveBytes: number
  dropCollected: boolean
  afterDropChurn: Stats
}

test('dropped handles are freed by GC; free() and churn leave no live code', (t) => {
  const child = fileURLToPath(new URL('./support/gcChild.cjs', import.meta.url))
  const r = spawnSync(process.execPath, ['--expose-gc', child, '500'], { encoding: 'utf8' })
  t.is(r.status, 0, r.stderr)
  const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as Report
  t.log(JSON.stringify(report))
  const { n, base } = report
  t.is(report.held.liveHandles, base.liveHandles + n)
  t.true(report.held.liveBytes > base.liveBytes)
  t.true(report.collected, 'handles dropped without free() were finalized')
  t.is(report.afterGc.liveHandles, base.liveHandles)
  t.is(report.afterGc.liveBytes, base.liveBytes)
  t.is(report.withOne.liveHandles, base.liveHandles + 1)
  t.is(report.afterFree.liveHandles, base.liveHandles)
  t.is(report.afterFree.liveBytes, base.liveBytes)
  t.is(report.afterChurn.liveHandles, base.liveHandles)
  t.is(report.afterChurn.liveBytes, base.liveBytes)
  // compile/free churn reuses freed pages instead of accumulating more
  t.true(report.afterChurn.cachedBytes <= report.afterGc.cachedBytes, `cachedBytes ${report.afterChurn.cachedBytes}`)
  t.true(report.dropCollected)
  t.is(report.afterDropChurn.liveBytes, base.liveBytes)
  // the cache of freed pages never holds more than was live at once
  t.true(report.afterDropChurn.cachedBytes <= report.peakLiveBytes, `cachedBytes ${report.afterDropChurn.cachedBytes} > peak ${report.peakLiveBytes}`)
})
