/*
 * tock.c: TRD104 system calls and a blocking console write for C apps (see tock.h).
 */
#include "tock.h"

#define SYSCALL(class, a0, a1, a2, a3)                                                  \
  ({                                                                                    \
    register uint32_t r0 __asm__("r0") = (a0);                                          \
    register uint32_t r1 __asm__("r1") = (a1);                                          \
    register uint32_t r2 __asm__("r2") = (a2);                                          \
    register uint32_t r3 __asm__("r3") = (a3);                                          \
    __asm__ volatile("svc " #class : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3)::"memory"); \
    (syscall_ret_t){r0, r1, r2, r3};                                                    \
  })

syscall_ret_t tock_command(uint32_t driver, uint32_t command, uint32_t arg1, uint32_t arg2) {
  return SYSCALL(2, driver, command, arg1, arg2);
}

syscall_ret_t tock_subscribe(uint32_t driver, uint32_t number, upcall_fn fn, void *data) {
  return SYSCALL(1, driver, number, (uint32_t)fn, (uint32_t)data);
}

syscall_ret_t tock_allow_ro(uint32_t driver, uint32_t number, const void *ptr, uint32_t len) {
  return SYSCALL(4, driver, number, (uint32_t)ptr, len);
}

syscall_ret_t tock_memop(uint32_t op, uint32_t arg) { return SYSCALL(5, op, arg, 0, 0); }

void tock_yield_wait(void) {
  /* Upcalls run in here: every caller-saved register may change. */
  register uint32_t r0 __asm__("r0") = 1;
  __asm__ volatile("svc 0" : "+r"(r0)::"r1", "r2", "r3", "r12", "lr", "memory");
}

void tock_exit(uint32_t code) {
  SYSCALL(6, 0, code, 0, 0);
  for (;;) tock_yield_wait();
}

static volatile uint32_t console_done;

static void console_written(uint32_t a, uint32_t b, uint32_t c, void *data) {
  (void)a;
  (void)b;
  (void)c;
  (void)data;
  console_done = 1;
}

void console_write(const char *s, uint32_t len) {
  console_done = 0;
  tock_allow_ro(1, 1, s, len);
  tock_subscribe(1, 1, console_written, 0);
  if (tock_command(1, 1, len, 0).r0 != TOCK_SUCCESS) return;
  while (!console_done) tock_yield_wait();
  tock_allow_ro(1, 1, 0, 0);
}

syscall_ret_t tock_raw(uint32_t class, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3) {
  switch (class) {
    case 0:
      return SYSCALL(0, a0, a1, a2, a3);
    case 1:
      return SYSCALL(1, a0, a1, a2, a3);
    case 2:
      return SYSCALL(2, a0, a1, a2, a3);
    case 3:
      return SYSCALL(3, a0, a1, a2, a3);
    case 4:
      return SYSCALL(4, a0, a1, a2, a3);
    case 5:
      return SYSCALL(5, a0, a1, a2, a3);
    case 6:
      return SYSCALL(6, a0, a1, a2, a3);
    default:
      return SYSCALL(7, a0, a1, a2, a3);
  }
}

static char out_buf[128];
static uint32_t out_len;

void out_str(const char *s) {
  while (*s && out_len < sizeof out_buf - 2) out_buf[out_len++] = *s++;
}

void out_hex(uint32_t v) {
  out_str("0x");
  for (int i = 7; i >= 0; i--) {
    char c[2] = {"0123456789abcdef"[(v >> (4 * i)) & 0xf], 0};
    out_str(c);
  }
}

void out_dec(uint32_t v) {
  char d[11];
  int n = 0;
  do {
    /* No division instruction needed: subtract powers of ten. */
    uint32_t digit = 0;
    uint32_t rest = v;
    while (rest >= 10) {
      rest -= 10;
      digit++;
    }
    d[n++] = (char)('0' + rest);
    v = digit;
  } while (v && n < 10);
  while (n) {
    char c[2] = {d[--n], 0};
    out_str(c);
  }
}

void out_line(void) {
  out_str("\r\n");
  console_write(out_buf, out_len);
  out_len = 0;
}
