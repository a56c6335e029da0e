/*
 * CPU benchmark for mps2-an386: five kernels that stress different parts of an emulator.
 *
 * CRC32 (table lookups, shifts), integer matrix multiply (multiply-accumulate, nested loops),
 * memcpy (word and byte loads/stores), linked-list walk (dependent loads over a shuffled list)
 * and a byte-driven state machine (compare-and-branch, switch tables). Each kernel folds its
 * result into one checksum that is printed through semihosting, so the emulator and QEMU runs
 * can be checked to compute the same thing. The iteration count comes from the command line
 * (SYS_GET_CMDLINE); with no argument it uses DEFAULT_ROUNDS. Built with -DROUNDS_SCALE=K it runs
 * K times that count (bench:ide's longer run: the IDE passes the image's path as the command
 * line, so the count cannot be chosen there).
 */
#include <stdint.h>
#include <stddef.h>

#define DEFAULT_ROUNDS 40u
#ifndef ROUNDS_SCALE
#define ROUNDS_SCALE 1u
#endif
#define N_MAT 24
#define N_LIST 4096
#define COPY_BYTES 8192
#define TEXT_BYTES 4096

void semihost_write0(const char *s);
uint32_t semihost_cmdline(char *buf, uint32_t size);
void semihost_exit_ok(void) __attribute__((noreturn));

static uint32_t crc_table[256];
static int32_t mat_a[N_MAT][N_MAT], mat_b[N_MAT][N_MAT], mat_c[N_MAT][N_MAT];
static uint32_t copy_src[COPY_BYTES / 4], copy_dst[COPY_BYTES / 4 + 1];
static struct node { struct node *next; uint32_t value; } nodes[N_LIST];
static uint8_t text[TEXT_BYTES];

static uint32_t lcg_state = 12345;
static uint32_t lcg(void) {
  lcg_state = lcg_state * 1664525u + 1013904223u;
  return lcg_state;
}

static void crc_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}

static uint32_t crc32(const uint8_t *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  while (n--) c = crc_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

static uint32_t matmul(void) {
  for (int i = 0; i < N_MAT; i++)
    for (int j = 0; j < N_MAT; j++) {
      int32_t s = 0;
      for (int k = 0; k < N_MAT; k++) s += mat_a[i][k] * mat_b[k][j];
      mat_c[i][j] = s;
    }
  uint32_t h = 0;
  for (int i = 0; i < N_MAT; i++) h = h * 31u + (uint32_t)mat_c[i][(i * 7) % N_MAT];
  return h;
}

/* Our own copy loop (not newlib's) so the instruction mix is fixed by this file. */
static void copy_words(uint32_t *d, const uint32_t *s, size_t n) {
  while (n >= 4) {
    d[0] = s[0]; d[1] = s[1]; d[2] = s[2]; d[3] = s[3];
    d += 4; s += 4; n -= 4;
  }
  while (n--) *d++ = *s++;
}

static void copy_bytes(uint8_t *d, const uint8_t *s, size_t n) {
  while (n--) *d++ = *s++;
}

static uint32_t list_walk(void) {
  uint32_t sum = 0;
  const struct node *p = &nodes[0];
  for (int i = 0; i < N_LIST; i++) {
    sum = (sum << 1 | sum >> 31) ^ p->value;
    p = p->next;
  }
  return sum;
}

/* Counts words, numbers and quoted strings in the text with an explicit state machine. */
enum state { IDLE, WORD, NUMBER, QUOTED, ESCAPE };
static uint32_t state_machine(void) {
  enum state st = IDLE;
  uint32_t words = 0, numbers = 0, strings = 0, value = 0, acc = 0;
  for (int i = 0; i < TEXT_BYTES; i++) {
    uint8_t ch = text[i];
    switch (st) {
      case IDLE:
        if (ch >= 'a' && ch <= 'z') { st = WORD; words++; }
        else if (ch >= '0' && ch <= '9') { st = NUMBER; numbers++; value = ch - '0'; }
        else if (ch == '"') { st = QUOTED; strings++; }
        break;
      case WORD:
        if (!(ch >= 'a' && ch <= 'z')) st = IDLE;
        break;
      case NUMBER:
        if (ch >= '0' && ch <= '9') value = value * 10 + (ch - '0');
        else { acc += value; st = IDLE; }
        break;
      case QUOTED:
        if (ch == '\\') st = ESCAPE;
        else if (ch == '"') st = IDLE;
        break;
      case ESCAPE:
        st = QUOTED;
        break;
    }
  }
  return words * 65599u + numbers * 257u + strings * 17u + acc;
}

static void setup(void) {
  crc_init();
  for (int i = 0; i < N_MAT; i++)
    for (int j = 0; j < N_MAT; j++) {
      mat_a[i][j] = (int32_t)(lcg() >> 20) - 2048;
      mat_b[i][j] = (int32_t)(lcg() >> 20) - 2048;
    }
  for (int i = 0; i < COPY_BYTES / 4; i++) copy_src[i] = lcg();
  /* A random single cycle through all nodes (Sattolo's shuffle of the order). */
  static uint16_t order[N_LIST];
  for (int i = 0; i < N_LIST; i++) order[i] = (uint16_t)i;
  for (int i = N_LIST - 1; i > 0; i--) {
    int j = (int)(lcg() % (uint32_t)i);
    uint16_t t = order[i]; order[i] = order[j]; order[j] = t;
  }
  for (int i = 0; i < N_LIST; i++) {
    nodes[order[i]].next = &nodes[order[(i + 1) % N_LIST]];
    nodes[order[i]].value = lcg();
  }
  static const char alphabet[] = "abcdefghij 0123456789 \"\\ xyz,.;";
  for (int i = 0; i < TEXT_BYTES; i++) text[i] = (uint8_t)alphabet[lcg() % (sizeof alphabet - 1)];
}

static void put_hex(char *out, uint32_t v) {
  for (int i = 7; i >= 0; i--) { out[i] = "0123456789abcdef"[v & 15]; v >>= 4; }
}

static uint32_t parse_rounds(void) {
  char buf[64];
  if (semihost_cmdline(buf, sizeof buf) != 0) return DEFAULT_ROUNDS;
  /* The command line is "prog N" or "N": the last number is the round count. */
  uint32_t n = 0;
  int seen = 0, found = 0;
  for (char *p = buf; *p; p++) {
    if (*p >= '0' && *p <= '9') { if (!seen) n = 0; n = n * 10 + (uint32_t)(*p - '0'); seen = found = 1; }
    else seen = 0;
  }
  return found ? n : DEFAULT_ROUNDS;
}

int main(void) {
  uint32_t rounds = parse_rounds() * ROUNDS_SCALE;
  setup();
  uint32_t sum = 0;
  for (uint32_t r = 0; r < rounds; r++) {
    sum ^= crc32((const uint8_t *)copy_src, COPY_BYTES);
    mat_a[r % N_MAT][0] += (int32_t)r;
    sum += matmul();
    copy_words(copy_dst, copy_src, COPY_BYTES / 4);
    copy_bytes((uint8_t *)copy_dst + 1, (const uint8_t *)copy_src, COPY_BYTES);
    sum ^= copy_dst[r % (COPY_BYTES / 4)];
    sum = (sum << 3 | sum >> 29) + list_walk();
    text[(r * 97) % TEXT_BYTES] = (uint8_t)('a' + r % 26);
    sum += state_machine();
  }
  char line[] = "checksum 00000000 rounds 00000000\n";
  put_hex(line + 9, sum);
  put_hex(line + 25, rounds);
  semihost_write0(line);
  semihost_exit_ok();
}
