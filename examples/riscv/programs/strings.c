// strings: strlen/strcmp/memcpy/strchr/strstr/snprintf-heavy work; prints deterministic counts.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *words[] = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
                              "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa"};

int main(int argc, char **argv) {
  int iters = argc > 1 ? atoi(argv[1]) : 20000;
  size_t cap = 1 << 16;
  char *buf = malloc(cap);
  char *copy = malloc(cap);
  unsigned long total_len = 0, cmp_sum = 0, hits = 0;
  for (int it = 0; it < iters; it++) {
    size_t len = 0;
    buf[0] = 0;
    for (int w = 0; w < 24; w++) {
      const char *s = words[(it * 7 + w * 3) % 16];
      size_t l = strlen(s);
      memcpy(buf + len, s, l);
      len += l;
      buf[len++] = ' ';
      buf[len] = 0;
    }
    total_len += strlen(buf);
    memcpy(copy, buf, len + 1);
    copy[it % len] ^= 1;
    int c = strcmp(buf, copy);
    cmp_sum += c < 0 ? 1 : c > 0 ? 2 : 3;
    if (strstr(buf, "kilo lima")) hits++;
    char *p = buf;
    while ((p = strchr(p, 'o')) != NULL) { hits++; p++; }
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%d:%s", it, words[it % 16]);
    total_len += strlen(tmp);
    memmove(buf + 1, buf, len);
  }
  printf("strings: total_len=%lu cmp_sum=%lu hits=%lu\n", total_len, cmp_sum, hits);
  free(buf);
  free(copy);
  return 0;
}
