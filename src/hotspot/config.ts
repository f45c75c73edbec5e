// EwmaConfig (the seed's hot-spot detector configuration) and its validation.

export interface EwmaConfig {
  /**
   * Smoothing factor in (0, 1]: the weight of the epoch just closed in the rate
   * (rate = alpha · epochCount + (1 − alpha) · rate). Default 0.2 (the seed suggests 0.1–0.3).
   */
  alpha: number
  /**
   * Hot-spot threshold in executions per epoch (and, before any epoch has closed, in executions):
   * default 100. The effective threshold never drops below it.
   */
  threshold: number
  /** Per-epoch decay in (0, 1] of the rate of a block not executed in that epoch. Default 0.95. */
  decayRate: number
  /**
   * Raise the effective threshold while more than maxHotBlocks blocks are above the configured
   * one, and let it fall back at decayRate per epoch (see EwmaHotspotDetector). Default true.
   */
  adaptiveThreshold: boolean
  /** How many blocks may be hot at once before the threshold adapts. Default 256. */
  maxHotBlocks: number
  /**
   * Close an epoch automatically after this many recorded executions (0 = only when tick() is
   * called, the default: the tiered runtime ticks at its decision points).
   */
  epochExecutions: number
}

export const DEFAULT_EWMA_CONFIG: Readonly<EwmaConfig> = Object.freeze({
  alpha: 0.2,
  threshold: 100,
  decayRate: 0.95,
  adaptiveThreshold: true,
  maxHotBlocks: 256,
  epochExecutions: 0,
})

function describe(x: unknown): string {
  if (x === null) return 'null'
  if (typeof x === 'bigint') return `${x}n`
  if (typeof x === 'string') return JSON.stringify(x)
  if (typeof x === 'object') return 'an object'
  if (typeof x === 'function') return 'a function'
  return String(x)
}

/** Fills defaults and checks every field; the messages name the field, its range and the value. */
export function resolveEwmaConfig(config: Partial<EwmaConfig> | undefined): EwmaConfig {
  const where = 'EwmaHotspotDetector'
  if (config === undefined) config = {}
  if (config === null || typeof config !== 'object') {
    throw new TypeError(`${where}: config must be an object like { alpha: 0.2, threshold: 100, decayRate: 0.95 }, got ${describe(config)}`)
  }
  const known = Object.keys(DEFAULT_EWMA_CONFIG)
  for (const key of Object.keys(config)) {
    if (!known.includes(key)) throw new TypeError(`${where}: unknown config field '${key}' (expected: ${known.join(', ')})`)
  }
  // `undefined` fields take the default, so that `{ threshold, ...partial }` spreads work.
  const c = { ...DEFAULT_EWMA_CONFIG }
  for (const [k, v] of Object.entries(config)) if (v !== undefined) (c as Record<string, unknown>)[k] = v
  const number = (name: keyof EwmaConfig): number => {
    const v = c[name]
    if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${where}: ${name} must be a number, got ${describe(v)}`)
    return v
  }
  const alpha = number('alpha')
  if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`${where}: alpha must be in (0, 1] (the seed suggests 0.1–0.3), got ${alpha}`)
  const threshold = number('threshold')
  if (!(threshold > 0 && Number.isFinite(threshold))) throw new RangeError(`${where}: threshold must be a positive finite number, got ${threshold}`)
  const decayRate = number('decayRate')
  if (!(decayRate > 0 && decayRate <= 1)) throw new RangeError(`${where}: decayRate must be in (0, 1] (1 = no decay), got ${decayRate}`)
  const maxHotBlocks = number('maxHotBlocks')
  if (!Number.isInteger(maxHotBlocks) || maxHotBlocks < 1) throw new RangeError(`${where}: maxHotBlocks must be an integer ≥ 1, got ${maxHotBlocks}`)
  const epochExecutions = number('epochExecutions')
  if (!Number.isSafeInteger(epochExecutions) || epochExecutions < 0) {
    throw new RangeError(`${where}: epochExecutions must be a non-negative integer (0 = manual ticks), got ${epochExecutions}`)
  }
  if (typeof c.adaptiveThreshold !== 'boolean') {
    throw new TypeError(`${where}: adaptiveThreshold must be a boolean, got ${describe(c.adaptiveThreshold)}`)
  }
  return { alpha, threshold, decayRate, adaptiveThreshold: c.adaptiveThreshold, maxHotBlocks, epochExecutions }
}
