// signals: how a guest ends — normally with a code, by abort() (SIGABRT), or by touching memory
// that is not there (SIGSEGV).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "exit";
  printf("signals: %s\n", what);
  fflush(stdout);
  if (strcmp(what, "segv") == 0) {
    volatile long *p = (long *)(1L << 40);
    return (int)*p;
  }
  if (strcmp(what, "abort") == 0) abort();
  return argc > 2 ? atoi(argv[2]) : 0;
}
