// The small objects a builder hands out: values, locals, labels and helper functions.
//
// Each remembers, in an ES private field (invisible to users and to `console.log`), the body or
// block that created it. That is how the builder can say "this value belongs to another builder"
// instead of silently encoding an id that means something else in the other body.

import type { IRType } from './types.js'

let valueOwner: (v: Value) => object
let localOwner: (l: Local) => object
let labelOwner: (l: Label) => object
let funcOwner: (f: Func) => object

/** An SSA value: the result of one op. `{ id, type }`; ids count from 0 per body. */
export class Value {
  readonly id: number
  readonly type: IRType
  #owner: object

  /** @internal Values come from an IRBuilder; constructing one by hand gives an unusable value. */
  constructor(id: number, type: IRType, owner: object) {
    this.id = id
    this.type = type
    this.#owner = owner
  }

  static {
    valueOwner = (v) => v.#owner
  }

  /**
   * @internal Is `x` a Value made by `owner`? One brand check, no exception for other objects:
   * the builder asks this for every operand of every op.
   */
  static ownedBy(x: unknown, owner: object): x is Value {
    return typeof x === 'object' && x !== null && #owner in x && x.#owner === owner
  }

  toString(): string {
    return `v${this.id}:${this.type}`
  }
}

/** A typed mutable variable of one body (`local_get` / `local_set`); zero when the body starts. */
export class Local {
  readonly index: number
  readonly type: IRType
  #owner: object

  /** @internal */
  constructor(index: number, type: IRType, owner: object) {
    this.index = index
    this.type = type
    this.#owner = owner
  }

  static {
    localOwner = (l) => l.#owner
  }

  toString(): string {
    return `l${this.index}:${this.type}`
  }
}

/** A branch target of one body; bound exactly once with `bind`. */
export class Label {
  readonly index: number
  #owner: object

  /** @internal */
  constructor(index: number, owner: object) {
    this.index = index
    this.#owner = owner
  }

  static {
    labelOwner = (l) => l.#owner
  }

  toString(): string {
    return `L${this.index}`
  }
}

/** A finished helper function of one block, callable with `call`. */
export class Func {
  readonly index: number
  readonly params: readonly IRType[]
  readonly result: IRType | undefined
  #owner: object

  /** @internal */
  constructor(index: number, params: readonly IRType[], result: IRType | undefined, owner: object) {
    this.index = index
    this.params = Object.freeze([...params])
    this.result = result
    this.#owner = owner
  }

  static {
    funcOwner = (f) => f.#owner
  }

  toString(): string {
    return `fn${this.index}(${this.params.join(', ')})${this.result ? ' -> ' + this.result : ''}`
  }
}

/** @internal The body (or block, for a Func) that created a handle, or undefined for a non-handle. */
export function ownerOf(x: Value | Local | Label | Func): object | undefined {
  if (x instanceof Value) return valueOwner(x)
  if (x instanceof Local) return localOwner(x)
  if (x instanceof Label) return labelOwner(x)
  if (x instanceof Func) return funcOwner(x)
  return undefined
}
