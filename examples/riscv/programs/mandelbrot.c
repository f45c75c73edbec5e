// mandelbrot: escape-time iteration in doubles, ASCII art and an iteration total.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  int size = argc > 1 ? atoi(argv[1]) : 400;
  int maxit = 200;
  long total = 0;
  double area = 0;
  for (int py = 0; py < size; py++) {
    char line[128];
    int lp = 0;
    for (int px = 0; px < size; px++) {
      double cr = -2.0 + 2.6 * px / size, ci = -1.3 + 2.6 * py / size;
      double zr = 0, zi = 0;
      int it = 0;
      while (it < maxit && zr * zr + zi * zi <= 4.0) {
        double t = zr * zr - zi * zi + cr;
        zi = 2 * zr * zi + ci;
        zr = t;
        it++;
      }
      total += it;
      if (it == maxit) area += (2.6 / size) * (2.6 / size);
      if (size <= 64 || (py % (size / 32) == 0 && px % (size / 64) == 0)) {
        if (lp < 126) line[lp++] = it == maxit ? '#' : " .:-=+*%@"[it % 9];
      }
    }
    line[lp] = 0;
    if (lp && (size <= 64 ? py % 2 == 0 : py % (size / 32) == 0)) puts(line);
  }
  printf("total iterations: %ld\narea: %.6f\n", total, area);
  return 0;
}
