// crc32: table-driven and bitwise CRC-32 over a generated buffer, plus a 32-bit hash mix.
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

static uint32_t table[256];

static void make_table(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
}

static uint32_t crc_table(const uint8_t *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

static uint32_t crc_bitwise(const uint8_t *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & -(c & 1));
  }
  return ~c;
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)atol(argv[1]) : 4000000;
  uint8_t *buf = malloc(n);
  uint32_t x = 0x12345678u;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    buf[i] = (uint8_t)x;
  }
  make_table();
  uint32_t a = crc_table(buf, n);
  uint32_t b = crc_bitwise(buf, n / 4);
  printf("crc32(%zu bytes) = %08x, bitwise crc32(%zu bytes) = %08x\n", n, a, n / 4, b);
  printf("crc32(\"123456789\") = %08x\n", crc_table((const uint8_t *)"123456789", 9));
  return 0;
}
