// Writing expected encodings by hand, the way docs/IR.md describes them: hex strings with spaces
// and `|` for readability, concatenated. Deliberately independent of src/ (no encoder reuse), so
// the builder's bytes are checked against the spec, not against themselves.

/** `hex('564a4952 | 0100')` → bytes; whitespace and `|` are ignored. */
export function hex(...parts: string[]): Uint8Array {
  const s = parts.join('').replace(/[\s|]/g, '')
  if (s.length % 2 !== 0 || /[^0-9a-f]/i.test(s)) throw new Error(`bad hex: ${s}`)
  const out = new Uint8Array(s.length / 2)
  for (let k = 0; k < out.length; k++) out[k] = parseInt(s.slice(2 * k, 2 * k + 2), 16)
  return out
}

/** Bytes as spaced hex, for readable assertion diffs. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ')
}
