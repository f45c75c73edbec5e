// Compile-time check (run by binding.spec.ts through `tsc -p __test__/tsconfig.json`): the
// napi-generated index.d.ts provides everything src/native.ts declares and the TypeScript layer
// relies on. If the Rust binding changes a name or a type, this stops type-checking.

import type * as Generated from '../../index.js'
import type { NativeBinding, NativeCodeInfo, NativeRunResult } from '../../dist/native.js'

export function generatedProvidesDeclared(g: typeof Generated): NativeBinding {
  return g
}

export function generatedCodeIsDeclaredCode(c: Generated.NativeCodeInfo): NativeCodeInfo {
  return c
}

export function generatedResultIsDeclaredResult(r: Generated.RunResult): NativeRunResult {
  return r
}

// and the other way round for what TypeScript passes in: our arguments are acceptable to it
export function declaredArgumentsFit(g: typeof Generated, bytes: Uint8Array): void {
  const code = g.compileBlock(bytes, { optLevel: 'speed', enableSimd: true, enableInlining: true })
  g.runCode(code.id, new Uint8Array(0), new Uint8Array(0), Infinity)
  g.freeCode(code.id)
  g.interpretBlock(bytes, new Uint8Array(0), new Uint8Array(0), Infinity)
}
