// bytecode: a tiny stack-machine interpreter (a switch in a loop) running a few programs.
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

enum { PUSH, LOAD, STORE, ADD, SUB, MUL, MOD, LT, JZ, JMP, DUP, DROP, PRINT, HALT, INC, XOR, SHR };

static int64_t run(const int32_t *code, int64_t *vars, int trace) {
  int64_t stack[64];
  int sp = 0, pc = 0;
  int64_t steps = 0;
  for (;;) {
    int32_t op = code[pc++];
    steps++;
    switch (op) {
      case PUSH: stack[sp++] = code[pc++]; break;
      case LOAD: stack[sp++] = vars[code[pc++]]; break;
      case STORE: vars[code[pc++]] = stack[--sp]; break;
      case ADD: sp--; stack[sp - 1] += stack[sp]; break;
      case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
      case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
      case MOD: sp--; stack[sp - 1] = stack[sp] ? stack[sp - 1] % stack[sp] : 0; break;
      case LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
      case JZ: { int32_t t = code[pc++]; if (!stack[--sp]) pc = t; break; }
      case JMP: pc = code[pc]; break;
      case DUP: stack[sp] = stack[sp - 1]; sp++; break;
      case DROP: sp--; break;
      case PRINT: if (trace) printf("  out: %lld\n", (long long)stack[sp - 1]); sp--; break;
      case INC: vars[code[pc++]]++; break;
      case XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
      case SHR: sp--; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] >> stack[sp]); break;
      case HALT: return steps;
      default: printf("bad opcode %d\n", op); exit(2);
    }
  }
}

int main(int argc, char **argv) {
  int64_t n = argc > 1 ? atol(argv[1]) : 3000000;
  // vars: 0 = i, 1 = n, 2 = acc, 3 = tmp
  const int32_t prog[] = {
      PUSH, 0, STORE, 0,           // i = 0
      PUSH, 7, STORE, 2,           // acc = 7
      /* 8 */ LOAD, 0, LOAD, 1, LT, JZ, 41, // while i < n
      LOAD, 2, PUSH, 31, MUL, LOAD, 0, XOR, PUSH, 1000003, MOD, STORE, 2, // acc = (acc*31 ^ i) % 1000003
      INC, 0, JMP, 8,
      HALT, HALT, HALT, HALT, HALT, HALT,
      /* 41 */ LOAD, 2, PRINT, LOAD, 0, PRINT, HALT};
  int64_t vars[4] = {0, n, 0, 0};
  printf("bytecode vm, n=%lld\n", (long long)n);
  int64_t steps = run(prog, vars, 1);
  printf("steps=%lld acc=%lld\n", (long long)steps, (long long)vars[2]);
  // A second program: collatz lengths summed over a range, bytecode with shifts.
  const int32_t collatz[] = {
      /* 0 */ LOAD, 3, PUSH, 1, LT, JZ, 9, HALT, HALT,
      /* 9 */ LOAD, 3, PUSH, 2, MOD, JZ, 28,                       // odd?
      LOAD, 3, PUSH, 3, MUL, PUSH, 1, ADD, STORE, 3, JMP, 34,     // x = 3x + 1
      /* 28 */ LOAD, 3, PUSH, 1, SHR, STORE, 3,                    // x >>= 1
      /* 35? */ INC, 2, JMP, 0};
  // fix up: entry 34 must point at INC; compute offsets to be safe
  int32_t fixed[sizeof collatz / sizeof collatz[0]];
  for (unsigned i = 0; i < sizeof collatz / sizeof collatz[0]; i++) fixed[i] = collatz[i];
  fixed[27] = 35;
  int64_t total = 0, lim = n / 100 > 2 ? n / 100 : 2;
  for (int64_t x = 2; x < lim; x++) {
    int64_t v[4] = {0, 0, 0, x};
    // stop when x == 1: LT of (x < 1)? use x < 2 check instead
    fixed[3] = 2;
    run(fixed, v, 0);
    total += v[2];
  }
  printf("collatz steps below %lld: %lld\n", (long long)lim, (long long)total);
  return 0;
}
