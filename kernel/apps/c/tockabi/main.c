/*
 * tockabi: checks, from inside a process, the parts of Tock's userspace ABI that an app built
 * by Tock's own toolchains relies on, and prints one line per check:
 *  - entry registers (TRD104 / Tock's process loader): r0 = the binary's start in flash (inside
 *    the app's flash, after its header), r1 = RAM start = memop 2, r1 + r2 = RAM end = memop 3,
 *    r3 = the initial break = r1 + 32 (the only memory a Cortex-M process owns at start);
 *  - system-call returns write only the registers of their variant: Success r0 only,
 *    SuccessU32 and Failure r0-r1, SuccessU32U32 r0-r2; yield-no-wait none;
 *  - the break: sbrk(0) = the present break, and a store just above it faults (the MPU enforces
 *    the break), which is the last thing the app does.
 * Lines: "tockabi: entry ok", "tockabi: returns ok", "tockabi: storing above the break at 0x..."
 * (then the kernel's fault report), or "tockabi: FAILED <what> ..." for a broken rule.
 */
#include <stdint.h>

#include "tock.h"

#define S1 0x11111111u
#define S2 0x22222222u
#define S3 0x33333333u

static int failed;

static void fail(const char *what, uint32_t got) {
  out_str("tockabi: FAILED ");
  out_str(what);
  out_str(" got ");
  out_hex(got);
  out_line();
  failed = 1;
}

/* One call with sentinels in the registers its variant must not write. */
static void check(const char *what, uint32_t class, uint32_t a0, uint32_t a1, uint32_t variant,
                  int used) {
  syscall_ret_t r = tock_raw(class, a0, a1, used < 3 ? S2 : 0, used < 4 ? S3 : 0);
  if (r.r0 != variant) return fail(what, r.r0);
  if (used < 2 && r.r1 != a1) return fail(what, r.r1);
  if (used < 3 && r.r2 != S2) return fail(what, r.r2);
  if (used < 4 && r.r3 != S3) return fail(what, r.r3);
}

int main(uint32_t app_start, uint32_t ram_start, uint32_t ram_len, uint32_t initial_break) {
  uint32_t flash_start = tock_memop(4, 0).r1;
  uint32_t flash_end = tock_memop(5, 0).r1;
  if (!(app_start > flash_start && app_start < flash_end)) fail("r0 (binary start)", app_start);
  if (ram_start != tock_memop(2, 0).r1) fail("r1 (RAM start)", ram_start);
  if (ram_start + ram_len != tock_memop(3, 0).r1) fail("r2 (RAM length)", ram_len);
  if (initial_break != ram_start + 32) fail("r3 (initial break)", initial_break);
  if (!failed) {
    out_str("tockabi: entry ok r0=");
    out_hex(app_start);
    out_str(" r1=");
    out_hex(ram_start);
    out_str(" r2=");
    out_hex(ram_len);
    out_str(" r3=");
    out_hex(initial_break);
    out_line();
  }

  /* Command 0 of the alarm driver: Success (r0 only). */
  check("command -> Success", 2, 0, 0, 128, 1);
  /* Alarm frequency: SuccessU32 (r0-r1). */
  check("command -> SuccessU32", 2, 0, 1, 129, 2);
  /* A driver that does not exist: Failure(NODEVICE) (r0-r1). */
  check("command -> Failure", 2, 0xdead, 0, 0, 2);
  /* sbrk(0): SuccessU32 with the present break. */
  check("memop sbrk -> SuccessU32", 5, 1, 0, 129, 2);
  /* Read-only allow of a flash string: SuccessU32U32 (r0-r2); r3 (the length) stays. */
  static const char text[] = "abi";
  syscall_ret_t a = tock_raw(4, 1, 1, (uint32_t)text, 3);
  if (a.r0 != 130 || a.r3 != 3) fail("allow -> SuccessU32U32", a.r0 != 130 ? a.r0 : a.r3);
  tock_raw(4, 1, 1, 0, 0);
  /* Yield-no-wait with no flag: no register written at all. */
  syscall_ret_t y = tock_raw(0, 0, 0, S2, S3);
  if (y.r0 != 0 || y.r1 != 0 || y.r2 != S2 || y.r3 != S3) fail("yield-no-wait wrote", y.r0);
  if (!failed) {
    out_str("tockabi: returns ok");
    out_line();
  }

  uint32_t brk = tock_memop(1, 0).r1;
  out_str("tockabi: storing above the break at ");
  out_hex(brk + 64);
  out_line();
  *(volatile uint32_t *)(brk + 64) = 0x5a5a5a5a;
  out_str("tockabi: FAILED the store above the break went through");
  out_line();
  return 1;
}
