/*
 * Second CPU benchmark for mps2-an386, of another shape than bench.c: four kernels that lean on
 * what bench.c barely touches.
 *
 * DSP and saturating arithmetic (a Q15 FIR filter with SMLAD dual multiply-accumulate, SSAT,
 * QADD/QSUB, packed UQADD8/SADD16 and SEL on pixel data), unaligned and byte memory traffic
 * (packed records decoded from odd addresses, a byte-wise run-length codec), deep call chains
 * (a recursive descent evaluator over an expression tree, non-inlined, 20+ frames deep) and a
 * switch-heavy state machine (a small bytecode virtual machine whose dispatch is a dense
 * switch). Each kernel folds its result into one checksum printed through semihosting, so the
 * emulator and QEMU runs can be checked to compute the same thing. The round count comes from
 * the command line (SYS_GET_CMDLINE).
 */
#include <arm_acle.h>
#include <stddef.h>
#include <stdint.h>

#define DEFAULT_ROUNDS 20u
#define N_SAMPLES 512
#define N_TAPS 16
#define N_PIXELS 1024
#define N_RECORDS 256
#define RLE_BYTES 2048

void semihost_write0(const char *s);
uint32_t semihost_cmdline(char *buf, uint32_t size);
void semihost_exit_ok(void) __attribute__((noreturn));

static uint32_t lcg_state = 987654321u;
static uint32_t lcg(void) {
  lcg_state = lcg_state * 1103515245u + 12345u;
  return lcg_state;
}

/* ---- DSP: Q15 FIR with SMLAD, saturation, packed lanes ---- */
static int16_t samples[N_SAMPLES + N_TAPS];
static int16_t taps[N_TAPS];
static int16_t filtered[N_SAMPLES];
static uint32_t pixels_a[N_PIXELS / 4], pixels_b[N_PIXELS / 4], pixels_out[N_PIXELS / 4];

static uint32_t fir(void) {
  uint32_t h = 0;
  for (int n = 0; n < N_SAMPLES; n++) {
    int32_t acc = 0;
    const int16_t *x = &samples[n];
    for (int k = 0; k < N_TAPS; k += 2) {
      uint32_t xx, tt;
      __builtin_memcpy(&xx, &x[k], 4); /* two samples at once: often unaligned */
      __builtin_memcpy(&tt, &taps[k], 4);
      acc = __smlad(xx, tt, acc);
    }
    int32_t y = __ssat(acc >> 15, 16);
    y = __qadd(y, (int32_t)n) - __qsub(y, 3);
    filtered[n] = (int16_t)__ssat(y, 16);
    h = h * 31u + (uint16_t)filtered[n];
  }
  return h;
}

static uint32_t pixels(void) {
  uint32_t h = 0;
  for (int i = 0; i < N_PIXELS / 4; i++) {
    uint32_t a = pixels_a[i], b = pixels_b[i];
    uint32_t bright = __uqadd8(a, b);          /* brighten with saturation */
    uint32_t diff = __ssub16(a, b);            /* signed 16-bit lane differences */
    (void)__usub8(a, b);                       /* sets GE per byte: a >= b */
    uint32_t mx = __sel(a, b);                 /* per-byte maximum */
    pixels_out[i] = bright ^ __sadd16(diff, mx);
    h = (h << 5 | h >> 27) ^ pixels_out[i];
  }
  return h;
}

/* ---- Unaligned and byte traffic: packed records and run-length coding ---- */
struct __attribute__((packed)) record {
  uint8_t tag;
  uint32_t id;
  uint16_t length;
  int32_t delta;
  uint8_t flags;
};
static struct record records[N_RECORDS];
static uint8_t rle_in[RLE_BYTES], rle_packed[RLE_BYTES * 2], rle_out[RLE_BYTES];

static uint32_t decode_records(void) {
  uint32_t h = 0;
  for (int i = 0; i < N_RECORDS; i++) {
    const struct record *r = &records[i];
    h += r->id ^ (uint32_t)r->delta;
    h = h * 7u + r->length + r->tag + r->flags;
    records[i].delta = r->delta + (int32_t)(h & 7);
  }
  return h;
}

static uint32_t rle(void) {
  size_t o = 0;
  for (size_t i = 0; i < RLE_BYTES;) {
    uint8_t b = rle_in[i];
    size_t run = 1;
    while (i + run < RLE_BYTES && rle_in[i + run] == b && run < 255) run++;
    rle_packed[o++] = (uint8_t)run;
    rle_packed[o++] = b;
    i += run;
  }
  size_t w = 0;
  for (size_t i = 0; i < o; i += 2)
    for (uint8_t k = 0; k < rle_packed[i]; k++) rle_out[w++] = rle_packed[i + 1];
  uint32_t h = (uint32_t)o;
  for (size_t i = 0; i < RLE_BYTES; i += 7) h = h * 131u + rle_out[i];
  return h;
}

/* ---- Deep call chains: recursive descent over an expression tree ---- */
struct node {
  uint8_t op;
  int32_t value;
  const struct node *left, *right;
};
#define N_NODES 255
static struct node tree[N_NODES];

static int32_t eval(const struct node *n, int depth) __attribute__((noinline));
static int32_t apply(uint8_t op, int32_t a, int32_t b) __attribute__((noinline));

static int32_t apply(uint8_t op, int32_t a, int32_t b) {
  switch (op & 3) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return (a * b) >> 3;
    default: return a ^ b;
  }
}

static int32_t eval(const struct node *n, int depth) {
  if (n->left == 0) return n->value + depth;
  int32_t a = eval(n->left, depth + 1);
  int32_t b = eval(n->right, depth + 1);
  return apply(n->op, a, b);
}

/* A degenerate, deep chain on top of the balanced tree: 24 frames before the work starts. */
static int32_t chain(int k) __attribute__((noinline));
static int32_t chain(int k) {
  if (k == 0) return eval(&tree[0], 0);
  return chain(k - 1) + k;
}

/* ---- Switch-heavy state machine: a bytecode virtual machine ---- */
enum { OP_PUSH, OP_ADD, OP_SUB, OP_MUL, OP_DUP, OP_SWAP, OP_JNZ, OP_DEC, OP_XOR, OP_SHL,
       OP_SHR, OP_AND, OP_OR, OP_NOT, OP_POP, OP_HALT };
static const uint8_t program[] = {
  OP_PUSH, 0,        /* accumulator */
  OP_PUSH, 200,      /* counter; stack: acc counter */
  /* loop (4): work on the accumulator under the counter */
  OP_SWAP, OP_DUP, OP_PUSH, 3, OP_SHL, OP_XOR, OP_PUSH, 7, OP_ADD, OP_PUSH, 0xff, OP_AND,
  OP_PUSH, 1, OP_OR, OP_NOT, OP_NOT, OP_DUP, OP_PUSH, 1, OP_SHR, OP_ADD,
  OP_DUP, OP_PUSH, 2, OP_MUL, OP_SUB, OP_SWAP,
  OP_DEC, OP_DUP, OP_JNZ, 4,
  OP_POP, OP_HALT,
};

static uint32_t vm(uint32_t seed) {
  int32_t stack[32];
  int sp = 0;
  uint32_t pc = 0;
  uint32_t steps = 0;
  for (;;) {
    uint8_t op = program[pc++];
    steps++;
    switch (op) {
      case OP_PUSH: stack[sp++] = program[pc++] + (int32_t)(seed & 1); break;
      case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
      case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
      case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
      case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
      case OP_SWAP: { int32_t t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; } break;
      case OP_JNZ: { uint8_t target = program[pc++]; if (stack[--sp] != 0) pc = target; } break;
      case OP_DEC: stack[sp - 1]--; break;
      case OP_XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
      case OP_SHL: sp--; stack[sp - 1] <<= (stack[sp] & 31); break;
      case OP_SHR: sp--; stack[sp - 1] = (int32_t)((uint32_t)stack[sp - 1] >> (stack[sp] & 31)); break;
      case OP_AND: sp--; stack[sp - 1] &= stack[sp]; break;
      case OP_OR: sp--; stack[sp - 1] |= stack[sp]; break;
      case OP_NOT: stack[sp - 1] = ~stack[sp - 1]; break;
      case OP_POP: sp--; break;
      default: return (uint32_t)stack[sp - 1] * 2654435761u + steps;
    }
  }
}

static void setup(void) {
  for (int i = 0; i < N_SAMPLES + N_TAPS; i++) samples[i] = (int16_t)(lcg() >> 16);
  for (int i = 0; i < N_TAPS; i++) taps[i] = (int16_t)((lcg() >> 20) - 2048);
  for (int i = 0; i < N_PIXELS / 4; i++) { pixels_a[i] = lcg(); pixels_b[i] = lcg(); }
  for (int i = 0; i < N_RECORDS; i++) {
    records[i].tag = (uint8_t)lcg();
    records[i].id = lcg();
    records[i].length = (uint16_t)lcg();
    records[i].delta = (int32_t)lcg();
    records[i].flags = (uint8_t)(lcg() >> 24);
  }
  for (int i = 0; i < RLE_BYTES; i++) rle_in[i] = (uint8_t)((lcg() >> 29) < 2 ? (uint32_t)i >> 4 : lcg() >> 30);
  /* A complete binary tree: leaves carry values, inner nodes an operator. */
  for (int i = 0; i < N_NODES; i++) {
    tree[i].op = (uint8_t)lcg();
    tree[i].value = (int32_t)(lcg() >> 24);
    int l = 2 * i + 1, r = 2 * i + 2;
    tree[i].left = l < N_NODES ? &tree[l] : 0;
    tree[i].right = r < N_NODES ? &tree[r] : 0;
  }
}

static void put_hex(char *out, uint32_t v) {
  for (int i = 7; i >= 0; i--) { out[i] = "0123456789abcdef"[v & 15]; v >>= 4; }
}

static uint32_t parse_rounds(void) {
  char buf[64];
  if (semihost_cmdline(buf, sizeof buf) != 0) return DEFAULT_ROUNDS;
  uint32_t n = 0;
  int seen = 0, found = 0;
  for (char *p = buf; *p; p++) {
    if (*p >= '0' && *p <= '9') { if (!seen) n = 0; n = n * 10 + (uint32_t)(*p - '0'); seen = found = 1; }
    else seen = 0;
  }
  return found ? n : DEFAULT_ROUNDS;
}

int main(void) {
  uint32_t rounds = parse_rounds();
  setup();
  uint32_t sum = 0;
  for (uint32_t r = 0; r < rounds; r++) {
    samples[r % N_SAMPLES] ^= (int16_t)r;
    sum ^= fir();
    pixels_b[r % (N_PIXELS / 4)] += r;
    sum = sum * 3u + pixels();
    sum += decode_records();
    rle_in[(r * 13) % RLE_BYTES] ^= 1;
    sum ^= rle();
    tree[N_NODES - 1 - r % 128].value += (int32_t)r;
    sum += (uint32_t)chain(24);
    sum = (sum << 7 | sum >> 25) ^ vm(r);
  }
  char line[] = "checksum 00000000 rounds 00000000\n";
  put_hex(line + 9, sum);
  put_hex(line + 25, rounds);
  semihost_write0(line);
  semihost_exit_ok();
}
