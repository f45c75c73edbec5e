// The synthetic guest (see README-style comments in each file):
//   isa.cjs        the instruction set and its encoding
//   asm.cjs        an assembler producing guest memory images
//   translate.cjs  guest code → IR blocks, as an emulator front end does
//   programs.cjs   generated programs (loops, calls, phase change, self-modifying code)
//   host.cjs       trap service, the reference runner (Interpreter per block) and the tiered host loop
// Plain CommonJS so that the specs (TypeScript), bench/ and worker threads can all load it.
'use strict'

module.exports = {
  ...require('./isa.cjs'),
  ...require('./asm.cjs'),
  ...require('./translate.cjs'),
  ...require('./programs.cjs'),
  ...require('./host.cjs'),
}
