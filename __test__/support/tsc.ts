// Where the TypeScript compiler's CLI is. TypeScript 7's package `exports` do not expose
// `bin/tsc`, so it is found from the package.json (which is exported) and its `bin` field.

import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

export function tscPath(): string {
  const require = createRequire(import.meta.url)
  const pkgPath = require.resolve('typescript/package.json')
  const bin = (require(pkgPath) as { bin: { tsc: string } }).bin.tsc
  return join(dirname(pkgPath), bin)
}
