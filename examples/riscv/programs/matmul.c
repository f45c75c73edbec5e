// matmul: n x n integer matrix multiply (64-bit, wrapping), prints a checksum.
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 200;
  int64_t *a = malloc(sizeof(int64_t) * n * n);
  int64_t *b = malloc(sizeof(int64_t) * n * n);
  int64_t *c = malloc(sizeof(int64_t) * n * n);
  uint32_t seed = 12345;
  for (int i = 0; i < n * n; i++) {
    seed = seed * 1103515245u + 12345u;
    a[i] = (int64_t)(seed >> 16) % 1000 - 500;
    seed = seed * 1103515245u + 12345u;
    b[i] = (int64_t)(seed >> 16) % 1000 - 500;
  }
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      int64_t s = 0;
      for (int k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
      c[i * n + j] = s;
    }
  uint64_t h = 1469598103934665603ull;
  for (int i = 0; i < n * n; i++) h = (h ^ (uint64_t)c[i]) * 1099511628211ull;
  printf("matmul %dx%d: c[0]=%lld c[last]=%lld hash=%016llx\n", n, n, (long long)c[0], (long long)c[n * n - 1],
         (unsigned long long)h);
  return 0;
}
