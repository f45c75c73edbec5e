// wc: counts lines, words and bytes of the files named on the command line (or stdin), with
// open/read/fstat/lseek/close, and a word-length histogram.
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void count(int fd, const char *name) {
  char buf[4096];
  long lines = 0, words = 0, bytes = 0, hist[8] = {0};
  int inword = 0, wl = 0;
  ssize_t r;
  while ((r = read(fd, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < r; i++) {
      unsigned char c = buf[i];
      bytes++;
      if (c == '\n') lines++;
      if (isspace(c)) {
        if (inword) { words++; hist[wl > 7 ? 7 : wl]++; }
        inword = 0; wl = 0;
      } else { inword = 1; wl++; }
    }
  }
  if (inword) { words++; hist[wl > 7 ? 7 : wl]++; }
  printf("%7ld %7ld %7ld %s\n", lines, words, bytes, name);
  printf("  word lengths:");
  for (int i = 1; i < 8; i++) printf(" %ld", hist[i]);
  printf("\n");
}

int main(int argc, char **argv) {
  if (argc < 2) { count(0, "-"); return 0; }
  int status = 0;
  for (int i = 1; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) { perror(argv[i]); status = 1; continue; }
    struct stat st;
    if (fstat(fd, &st) == 0) printf("%s: size %lld\n", argv[i], (long long)st.st_size);
    off_t end = lseek(fd, 0, SEEK_END);
    lseek(fd, 0, SEEK_SET);
    printf("%s: lseek end %lld\n", argv[i], (long long)end);
    count(fd, argv[i]);
    close(fd);
  }
  return status;
}
