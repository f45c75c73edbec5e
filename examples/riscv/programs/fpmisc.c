// fpmisc: single and double precision corners: conversions, rounding functions, fmin/fmax,
// NaN and infinity handling, float math from libm, printf of floats.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile double vd[] = {0.0, -0.0, 1.5, -1.5, 2.5, -2.5, 0.49999999999999994, 1e300, -1e300, 3e9, -3e9, 1e19, -7.75};
static volatile float vf[] = {0.0f, -0.0f, 1.5f, -2.5f, 3.75f, 1e20f, -1e20f, 16777217.0f, 0.1f};

static uint64_t bits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 200000;
  volatile double nan_ = NAN, inf = INFINITY;
  for (unsigned i = 0; i < sizeof vd / sizeof vd[0]; i++) {
    double d = vd[i];
    printf("d=%g int=%d long=%ld uint=%u ulong=%lu rint=%g floor=%g ceil=%g round=%g trunc=%g lrint=%ld lround=%ld\n",
           d, (int)d, (long)d, (unsigned)d, (unsigned long)d, rint(d), floor(d), ceil(d), round(d), trunc(d), lrint(d),
           lround(d));
  }
  for (unsigned i = 0; i < sizeof vf / sizeof vf[0]; i++) {
    float f = vf[i];
    printf("f=%g int=%d long=%ld bits=%08x d=%.17g sqrt=%g rintf=%g floorf=%g sum=%g\n", f, (int)f, (long)f, fbits(f), (double)f,
           sqrtf(fabsf(f)), rintf(f), floorf(f), f + 0.1f);
  }
  printf("nan: %d %d %d %d isnan=%d\n", nan_ == nan_, nan_ < 1.0, nan_ > 1.0, nan_ != nan_, isnan(nan_));
  printf("fmin(nan,1)=%g fmax(1,nan)=%g fmin(-0,0) signbit=%d fmax(-0,0) signbit=%d\n", fmin(nan_, 1.0), fmax(1.0, nan_),
         signbit(fmin(-0.0, 0.0)), signbit(fmax(-0.0, 0.0)));
  printf("fminf(nan,2)=%g fmaxf(3,nan)=%g\n", fminf((float)nan_, 2.0f), fmaxf(3.0f, (float)nan_));
  printf("inf: %g %g %g bits(inf-inf)=%016llx\n", inf, -inf, 1.0 / inf, (unsigned long long)bits(inf - inf));
  printf("copysign=%g fabs=%g fma=%.17g\n", copysign(3.0, -0.0), fabs(-4.5), fma(0.1, 10.0, -1.0));
  printf("classify: %d %d %d %d %d\n", fpclassify(0.0), fpclassify(1e-310), fpclassify(1.0), fpclassify(inf), fpclassify(nan_));
  printf("libm: sin=%.15f cos=%.15f exp=%.15f log=%.15f pow=%.15f atan2=%.15f\n", sin(1.0), cos(1.0), exp(1.5), log(10.0),
         pow(2.0, 0.5), atan2(1.0, -1.0));
  printf("libmf: sinf=%.7f expf=%.7f logf=%.7f powf=%.7f\n", sinf(1.0f), expf(1.5f), logf(10.0f), powf(2.0f, 0.5f));
  printf("int conv: %g %g %g %g\n", (double)(int64_t)-9007199254740993LL, (double)(uint64_t)18446744073709551615ULL, (float)16777217,
         (float)(uint32_t)4294967295u);
  printf("nan conv: %d %ld %u %lu\n", (int)nan_, (long)nan_, (unsigned)nan_, (unsigned long)nan_);
  printf("strtod: %.17g %.17g %g\n", strtod("3.14159265358979323846", 0), strtod("1e-320", 0), strtod("inf", 0));
  // a float-heavy loop: harmonic sums in float and double, a Horner polynomial
  float hs = 0;
  double hd = 0, poly = 0;
  for (int i = 1; i <= n; i++) {
    hs += 1.0f / (float)i;
    hd += 1.0 / i;
    double x = (double)(i % 1000) / 1000.0;
    poly += ((((0.5 * x - 1.25) * x + 2.0) * x - 0.75) * x + 0.125);
  }
  printf("harmonic float=%.6f double=%.12f poly=%.9f\n", hs, hd, poly);
  return 0;
}
