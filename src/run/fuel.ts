// The `fuel` run option: how many back edges a run may take before it exits with reason 'fuel'
// (docs/IR.md "Fuel and interrupts"). A finite default means a runaway guest loop returns control
// to JavaScript instead of hanging the process. The native side takes an f64, so fuel is limited
// to integers JS numbers represent exactly, plus Infinity for "no limit".

/** Default fuel: one billion back edges (roughly a second or more of guest looping). */
export const DEFAULT_FUEL = 1_000_000_000

export function normalizeFuel(fuel: number | bigint | undefined, where: string): number {
  if (fuel === undefined) return DEFAULT_FUEL
  if (typeof fuel === 'bigint') {
    if (fuel < 0n || fuel > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new RangeError(`${where}: fuel must be in [0, 2^53 - 1] (or Infinity), got ${fuel}n`)
    }
    return Number(fuel)
  }
  if (typeof fuel !== 'number' || Number.isNaN(fuel)) {
    throw new TypeError(`${where}: fuel must be a number, a bigint or Infinity, got ${String(fuel)}`)
  }
  if (fuel === Infinity) return fuel
  if (!Number.isSafeInteger(fuel) || fuel < 0) {
    throw new RangeError(`${where}: fuel must be a non-negative integer up to 2^53 - 1 (or Infinity), got ${fuel}`)
  }
  return fuel
}
