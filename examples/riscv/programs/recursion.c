// recursion: fib, ackermann and a recursive tree build/walk (deep call chains).
#include <stdio.h>
#include <stdlib.h>

static long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static long ack(long m, long n) {
  if (m == 0) return n + 1;
  if (n == 0) return ack(m - 1, 1);
  return ack(m - 1, ack(m, n - 1));
}

struct node { struct node *l, *r; int v; };

static struct node *build(int depth, int *counter) {
  if (depth == 0) return NULL;
  struct node *t = malloc(sizeof *t);
  t->v = (*counter)++;
  t->l = build(depth - 1, counter);
  t->r = build(depth - 1, counter);
  return t;
}

static long walk(struct node *t) {
  if (!t) return 0;
  long s = t->v + 2 * walk(t->l) - walk(t->r);
  free(t);
  return s;
}

static int depth_sum(int d) { return d == 0 ? 0 : 1 + depth_sum(d - 1); }

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 30;
  int a = argc > 2 ? atoi(argv[2]) : 9;
  printf("fib(%d) = %ld\n", n, fib(n));
  printf("ack(2, %d) = %ld\n", a, ack(2, a));
  printf("ack(3, %d) = %ld\n", a / 2, ack(3, a / 2));
  int counter = 0;
  struct node *t = build(16, &counter);
  printf("tree nodes=%d walk=%ld\n", counter, walk(t));
  printf("depth %d\n", depth_sum(100000));
  return 0;
}
