// sieve: Eratosthenes over n numbers, repeated; prints the prime count and a checksum.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 2000000;
  int reps = argc > 2 ? atoi(argv[2]) : 5;
  unsigned char *composite = malloc(n + 1);
  long count = 0;
  unsigned long sum = 0;
  for (int r = 0; r < reps; r++) {
    memset(composite, 0, n + 1);
    count = 0;
    sum = 0;
    for (long i = 2; i <= n; i++) {
      if (composite[i]) continue;
      count++;
      sum = sum * 31 + i;
      for (long j = i * i; j <= n; j += i) composite[j] = 1;
    }
  }
  printf("primes <= %ld: %ld (checksum %lu)\n", n, count, sum);
  free(composite);
  return 0;
}
