// qsort: libc qsort on ints and strings, printf of the results.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 300000;
  int *v = malloc(sizeof(int) * n);
  unsigned s = 42;
  for (int i = 0; i < n; i++) {
    s = s * 1664525u + 1013904223u;
    v[i] = (int)(s >> 1) - (1 << 30);
  }
  qsort(v, n, sizeof(int), cmp_int);
  long long check = 0;
  for (int i = 0; i < n; i++) check = check * 3 + v[i];
  printf("sorted %d ints: min=%d median=%d max=%d check=%lld\n", n, v[0], v[n / 2], v[n - 1], check);
  int m = n / 10 > 0 ? n / 10 : 1;
  char **strs = malloc(sizeof(char *) * m);
  for (int i = 0; i < m; i++) {
    strs[i] = malloc(16);
    s = s * 1664525u + 1013904223u;
    snprintf(strs[i], 16, "k%08x", s);
  }
  qsort(strs, m, sizeof(char *), cmp_str);
  printf("sorted %d strings: first=%s last=%s\n", m, strs[0], strs[m - 1]);
  for (int i = 0; i < m; i++) free(strs[i]);
  free(strs);
  free(v);
  return 0;
}
