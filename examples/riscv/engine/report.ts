// The --stats report of the emulator's own engine (used until the package's performance monitor
// reports for the tiered runtime).

export interface EngineCounters {
  blocksTranslated: number
  translateMicros: number
  compiledFast: number
  compiledOptimized: number
  compileFastMicros: number
  compileOptimizedMicros: number
  blockRuns: number
  interpretedRuns: number
}

const us = (x: number): string => (x >= 10_000 ? `${(x / 1000).toFixed(1)} ms` : `${x.toFixed(0)} µs`)

export function formatReport(tier: string, c: EngineCounters, extra: string[]): string {
  const avg = (total: number, n: number): string => (n === 0 ? '-' : us(total / n))
  const lines = [
    `JIT report (tier ${tier}, vm-jit-riscv block engine)`,
    `  blocks translated     ${c.blocksTranslated} (${us(c.translateMicros)}, avg ${avg(c.translateMicros, c.blocksTranslated)})`,
    `  compiled fast         ${c.compiledFast} (${us(c.compileFastMicros)}, avg ${avg(c.compileFastMicros, c.compiledFast)})`,
    `  compiled optimized    ${c.compiledOptimized} (${us(c.compileOptimizedMicros)}, avg ${avg(c.compileOptimizedMicros, c.compiledOptimized)})`,
    `  block runs            ${c.blockRuns} (${c.interpretedRuns} interpreted)`,
    ...extra.map((l) => `  ${l}`),
  ]
  return lines.join('\n')
}
