// hello: argv, environment, a little libc, and a non-zero exit code.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  printf("Hello from RISC-V! argc=%d\n", argc);
  for (int i = 1; i < argc; i++) printf("argv[%d] = %s\n", i, argv[i]);
  const char *who = getenv("VMJIT_GREETING");
  printf("greeting: %s\n", who ? who : "(unset)");
  char *p = malloc(64);
  strcpy(p, "heap works");
  puts(p);
  free(p);
  return argc > 2 ? 3 : 0;
}
