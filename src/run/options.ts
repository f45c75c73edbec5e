// Options of a run, shared by CodeHandle.run and Interpreter.run. Unknown keys are rejected so a
// typo (`{ fule: 10 }`) does not silently run with the default fuel.

import { describe } from '../ir/constants.js'

export interface RunOptions {
  /** Back edges the run may take before exiting with reason 'fuel'. Default 1_000_000_000; Infinity for no limit. */
  fuel?: number | bigint
}

export function runOptions(options: unknown, where: string): RunOptions {
  if (options === undefined) return {}
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${where}: options must be an object like { fuel: 1000 }, got ${describe(options)}`)
  }
  for (const key of Object.keys(options)) {
    if (key !== 'fuel') throw new TypeError(`${where}: unknown option '${key}' (expected: fuel)`)
  }
  return options as RunOptions
}
