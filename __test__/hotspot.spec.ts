// EwmaHotspotDetector: a block becomes hot after enough executions (before any epoch, and by its
// smoothed rate after), cools with decay, the young-block rule expires, the adaptive threshold
// rises under load and falls back after, the bulk paths agree with one-at-a-time recording, and
// bad configuration is a clear error.

import test from 'ava'
import { DEFAULT_EWMA_CONFIG, EwmaHotspotDetector } from 'vm-jit-native'

const close = (a: number, b: number, eps = 1e-9): boolean => Math.abs(a - b) <= eps * Math.max(1, Math.abs(b))

test('defaults are the seed\'s EwmaConfig; withConfig and partial configs', (t) => {
  const d = new EwmaHotspotDetector()
  t.deepEqual({ ...d.config }, { ...DEFAULT_EWMA_CONFIG })
  t.is(d.config.alpha, 0.2)
  t.is(d.config.threshold, 100)
  t.is(d.config.decayRate, 0.95)
  t.true(Object.isFrozen(d.config))
  const e = EwmaHotspotDetector.withConfig({ alpha: 0.3, threshold: 10 })
  t.is(e.config.alpha, 0.3)
  t.is(e.config.decayRate, 0.95)
  // undefined fields take the default (so `{ threshold, ...partial }` spreads work)
  t.is(new EwmaHotspotDetector({ threshold: undefined, alpha: 0.1 }).config.threshold, 100)
})

test('config validation: TypeError for wrong types, RangeError for out-of-range values', (t) => {
  const bad: Array<[object, ErrorConstructor, RegExp]> = [
    [{ alpha: 0 }, RangeError, /alpha must be in \(0, 1\]/],
    [{ alpha: 1.5 }, RangeError, /alpha/],
    [{ alpha: -0.2 }, RangeError, /alpha/],
    [{ alpha: NaN }, TypeError, /alpha must be a number/],
    [{ alpha: '0.2' }, TypeError, /alpha must be a number/],
    [{ threshold: 0 }, RangeError, /threshold must be a positive finite number/],
    [{ threshold: Infinity }, RangeError, /threshold/],
    [{ decayRate: 0 }, RangeError, /decayRate must be in \(0, 1\]/],
    [{ decayRate: 1.01 }, RangeError, /decayRate/],
    [{ maxHotBlocks: 0 }, RangeError, /maxHotBlocks/],
    [{ maxHotBlocks: 2.5 }, RangeError, /maxHotBlocks/],
    [{ epochExecutions: -1 }, RangeError, /epochExecutions/],
    [{ adaptiveThreshold: 'yes' }, TypeError, /adaptiveThreshold must be a boolean/],
    [{ alfa: 0.2 }, TypeError, /unknown config field 'alfa'/],
  ]
  for (const [config, type, message] of bad) t.throws(() => new EwmaHotspotDetector(config as never), { instanceOf: type, message }, JSON.stringify(config))
  t.throws(() => new EwmaHotspotDetector(null as never), { instanceOf: TypeError })
  t.notThrows(() => new EwmaHotspotDetector({ alpha: 1, decayRate: 1 }), 'the closed ends are allowed')
  const d = new EwmaHotspotDetector()
  t.throws(() => d.recordExecution(5 as never), { instanceOf: TypeError, message: /pc must be a bigint/ })
  t.throws(() => d.recordExecution(-1n), { instanceOf: RangeError, message: /u64/ })
  t.throws(() => d.recordExecution(1n, -1), { instanceOf: RangeError, message: /count/ })
  t.throws(() => d.recordExecution(1n, NaN), { instanceOf: RangeError, message: /count/ })
})

test('the seed\'s usage: hot after `threshold` executions, counted exactly', (t) => {
  const d = new EwmaHotspotDetector()
  const pc = 0x8000_1000n
  t.false(d.isHotspot(pc))
  t.is(d.executionCount(pc), 0)
  for (let k = 0; k < 99; k++) d.recordExecution(pc)
  t.false(d.isHotspot(pc))
  d.recordExecution(pc)
  t.true(d.isHotspot(pc))
  t.is(d.executionCount(pc), 100)
  d.recordExecution(pc, 50)
  t.is(d.executionCount(pc), 150)
  t.is(d.rate(pc), 0, 'no epoch has closed yet')
  t.false(d.isHotspot(0x9000n))
})

test('the rate is an EWMA of per-epoch counts; a steady block above the threshold stays hot', (t) => {
  const d = new EwmaHotspotDetector()
  const hot = 0x1000n
  const warm = 0x2000n
  let expected = 0
  for (let epoch = 1; epoch <= 40; epoch++) {
    d.recordExecution(hot, 150)
    d.recordExecution(warm, 60)
    d.tick()
    expected = 0.2 * 150 + 0.8 * expected
    t.true(close(d.rate(hot), expected), `epoch ${epoch}`)
  }
  t.true(close(d.rate(hot), 150, 1e-3))
  t.true(close(d.rate(warm), 60, 1e-3))
  t.true(d.isHotspot(hot))
  t.false(d.isHotspot(warm), 'a steady 60/epoch block is not hot, however large its total')
  t.is(d.executionCount(warm), 2400)
  t.is(d.epochs, 40)
})

test('young blocks are judged by their total until the EWMA has warmed up (⌈1/alpha⌉ epochs)', (t) => {
  const d = new EwmaHotspotDetector()
  const pc = 0x40n
  d.recordExecution(pc, 300)
  t.true(d.isHotspot(pc), 'age 0: 300 ≥ 100')
  d.tick()
  t.is(d.rate(pc), 60)
  t.true(d.isHotspot(pc), 'age 1: 300 ≥ 100 · 1, though the rate is only 60')
  d.tick()
  t.true(d.isHotspot(pc), 'age 2: 300 ≥ 200')
  d.tick()
  t.true(d.isHotspot(pc), 'age 3: 300 ≥ 300')
  d.tick()
  t.false(d.isHotspot(pc), 'age 4: 300 < 400 — an early burst does not make a block hot for ever')
  for (let k = 0; k < 10; k++) d.tick()
  t.false(d.isHotspot(pc))
})

test('blocks cool with decay: an idle block\'s rate falls by decayRate per epoch', (t) => {
  const d = new EwmaHotspotDetector({ alpha: 1 }) // rate = last epoch's count, to make the numbers plain
  const pc = 0x7000n
  d.recordExecution(pc, 200)
  d.tick()
  t.is(d.rate(pc), 200)
  t.true(d.isHotspot(pc))
  const hotEpochs: boolean[] = []
  for (let k = 1; k <= 20; k++) {
    d.tick()
    t.true(close(d.rate(pc), 200 * 0.95 ** k), `after ${k} idle epochs`)
    hotEpochs.push(d.isHotspot(pc))
  }
  // 200 · 0.95^k ≥ 100 ⇔ k ≤ 13
  t.deepEqual(hotEpochs, Array.from({ length: 20 }, (_, k) => k + 1 <= 13))
  // lazy decay stays exact over long idle stretches
  for (let k = 0; k < 200; k++) d.tick()
  t.true(close(d.rate(pc), 200 * 0.95 ** 220))
  // and executing again resumes from the decayed value
  d.recordExecution(pc, 500)
  d.tick()
  t.is(d.rate(pc), 500)
})

test('adaptive threshold: rises when many blocks are hot at once, falls back after', (t) => {
  const d = new EwmaHotspotDetector({ maxHotBlocks: 4 })
  const pcs = Array.from({ length: 20 }, (_, k) => 0x1000n + BigInt(k) * 0x40n)
  // block k runs 50 + 100·(k+1) times per epoch: all twenty are above the configured threshold
  for (let epoch = 0; epoch < 30; epoch++) {
    pcs.forEach((pc, k) => d.recordExecution(pc, 50 + 100 * (k + 1)))
    d.tick()
  }
  const rates = pcs.map((pc) => d.rate(pc))
  const fourth = [...rates].sort((a, b) => b - a)[3]!
  t.is(d.stats().aboveThreshold, 20)
  t.true(close(d.effectiveThreshold, fourth, 1e-6), `effective ${d.effectiveThreshold} = the 4th hottest rate ${fourth}`)
  t.deepEqual(
    pcs.filter((pc) => d.isHotspot(pc)),
    pcs.slice(16),
    'only the four hottest blocks are hot',
  )
  t.deepEqual(d.hotspots().map((h) => h.pc), pcs.slice(16).reverse(), 'hotspots() lists them hottest first')
  t.deepEqual(d.hotspots(2).map((h) => h.pc), [pcs[19], pcs[18]])
  // the load drops: only two blocks keep running, at 150 and 120 per epoch
  const a = pcs[0]!
  const b = pcs[1]!
  const thresholds: number[] = []
  for (let epoch = 0; epoch < 200; epoch++) {
    d.recordExecution(a, 150)
    d.recordExecution(b, 120)
    d.tick()
    thresholds.push(d.effectiveThreshold)
  }
  t.true(thresholds.every((x, k) => k === 0 || x <= thresholds[k - 1]! + 1e-9), 'the threshold only falls')
  t.true(thresholds.every((x) => x >= 100), 'never below the configured threshold')
  t.true(close(d.effectiveThreshold, 100, 1e-3), `back to ~100: ${d.effectiveThreshold}`)
  t.true(d.isHotspot(a) && d.isHotspot(b), 'the two blocks left are hot again')
  t.false(d.isHotspot(pcs[19]!), 'the idle ones have cooled')
  t.is(d.stats().aboveThreshold, 2)
})

test('adaptiveThreshold: false keeps the configured threshold', (t) => {
  const d = new EwmaHotspotDetector({ maxHotBlocks: 4, adaptiveThreshold: false })
  const pcs = Array.from({ length: 20 }, (_, k) => BigInt(k) * 4n)
  for (let epoch = 0; epoch < 30; epoch++) {
    pcs.forEach((pc, k) => d.recordExecution(pc, 50 + 100 * (k + 1)))
    d.tick()
  }
  t.is(d.effectiveThreshold, 100)
  t.is(d.hotspots().length, 20)
  t.is(d.stats().hotCount, 20)
})

test('hotspots, reset and stats', (t) => {
  const d = new EwmaHotspotDetector()
  d.recordExecution(0x10n, 500)
  d.recordExecution(0x20n, 200)
  d.recordExecution(0x30n, 50)
  t.deepEqual(
    d.hotspots().map((h) => [h.pc, h.executionCount]),
    [
      [0x10n, 500],
      [0x20n, 200],
    ],
  )
  t.deepEqual(d.stats(), {
    blocksTracked: 3,
    hotCount: 2,
    aboveThreshold: 0,
    threshold: 100,
    effectiveThreshold: 100,
    epochs: 0,
    totalExecutions: 750,
  })
  t.true(d.reset(0x10n))
  t.false(d.reset(0x99n))
  t.false(d.isHotspot(0x10n))
  t.is(d.executionCount(0x10n), 0)
  t.is(d.stats().totalExecutions, 250)
  d.tick()
  t.is(d.rate(0x10n), 0, 'reset also drops the epoch under way')
  t.true(close(d.rate(0x20n), 40))
})

test('observeCounters and bindCounters agree with recordExecution', (t) => {
  const pcs = Array.from({ length: 1000 }, (_, k) => 0x4000_0000n + BigInt(k) * 12n)
  const one = new EwmaHotspotDetector()
  const bulk = new EwmaHotspotDetector()
  const bound = new EwmaHotspotDetector()
  const binding = bound.bindCounters()
  pcs.forEach((pc, k) => binding.set(k, pc))
  t.is(binding.length, 1000)
  const counters = new Uint32Array(pcs.length)
  for (let epoch = 0; epoch < 12; epoch++) {
    counters.forEach((_, k) => (counters[k] = (k * 7919 + epoch * 104729) % 13 === 0 ? 0 : ((k * epoch) % 400) + 1))
    pcs.forEach((pc, k) => counters[k]! > 0 && one.recordExecution(pc, counters[k]))
    bulk.observeCounters(pcs, counters)
    binding.observe(counters)
    for (const d of [one, bulk, bound]) d.tick()
  }
  for (const pc of pcs) {
    t.is(bulk.rate(pc), one.rate(pc))
    t.is(bound.rate(pc), one.rate(pc))
    t.is(bulk.executionCount(pc), one.executionCount(pc))
    t.is(bulk.isHotspot(pc), one.isHotspot(pc))
  }
  t.deepEqual(bulk.stats(), one.stats())
  t.deepEqual(bound.stats(), one.stats())
})

test('observeCounters follows a pcs array that grows or changes in place', (t) => {
  const d = new EwmaHotspotDetector()
  const pcs = [0x100n, 0x200n]
  d.observeCounters(pcs, new Float64Array([5, 7]))
  pcs.push(0x300n)
  d.observeCounters(pcs, new Float64Array([1, 0, 9]))
  pcs[1] = 0x999n // index 1 now counts another block
  d.observeCounters(pcs, [0, 4, 0])
  t.is(d.executionCount(0x100n), 6)
  t.is(d.executionCount(0x200n), 7)
  t.is(d.executionCount(0x300n), 9)
  t.is(d.executionCount(0x999n), 4)
  t.throws(() => d.observeCounters(pcs, [1, 2]), { instanceOf: RangeError, message: /3 pcs but only 2 counters/ })
  // a binding: unmapped and unset indexes count nothing
  const b = d.bindCounters()
  b.set(3, 0x100n)
  b.set(5, 0x500n)
  b.observe(new Uint32Array([9, 9, 9, 1, 9, 2, 9]))
  b.set(5, undefined)
  b.observe(new Uint32Array([9, 9, 9, 1, 9, 2, 9]))
  t.is(d.executionCount(0x100n), 8)
  t.is(d.executionCount(0x500n), 2)
  t.throws(() => b.set(-1, 1n), { instanceOf: RangeError })
})

test('pcs above 2^53 are distinct blocks', (t) => {
  const d = new EwmaHotspotDetector()
  const big = 1n << 53n
  d.recordExecution(big, 1)
  d.recordExecution(big + 1n, 2)
  d.recordExecution(0xffff_ffff_ffff_ffffn, 3)
  d.recordExecution(big - 1n, 4)
  t.is(d.executionCount(big), 1)
  t.is(d.executionCount(big + 1n), 2)
  t.is(d.executionCount(0xffff_ffff_ffff_ffffn), 3)
  t.is(d.executionCount(big - 1n), 4)
  t.is(d.stats().blocksTracked, 4)
})

test('epochExecutions closes epochs automatically', (t) => {
  const d = new EwmaHotspotDetector({ epochExecutions: 1000 })
  for (let k = 0; k < 10_000; k++) d.recordExecution(BigInt(k % 10) * 4n)
  t.is(d.epochs, 10)
  t.true(close(d.rate(0n), 100 * (1 - 0.8 ** 10)))
  d.observeCounters([4n], [2500])
  t.is(d.epochs, 11)
})

test('kthLargest (the adaptive threshold\'s quickselect) agrees with sorting', async (t) => {
  const { kthLargest } = await import('../dist/hotspot/select.js')
  let seed = 12345
  const random = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32)
  for (let trial = 0; trial < 5000; trial++) {
    const n = 1 + Math.floor(random() * 80)
    const spread = trial % 3 === 0 ? 3 : 1000 // many ties, or few
    const a = Float64Array.from({ length: n }, () => Math.floor(random() * spread))
    const k = 1 + Math.floor(random() * n)
    const expected = [...a].sort((x, y) => y - x)[k - 1]
    if (kthLargest(a.slice(), n, k) !== expected) return t.fail(`n ${n} k ${k}: ${[...a]}`)
  }
  t.pass()
})
