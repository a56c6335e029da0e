/*
 * pic: a position-independent C app in the style of libtock-c, to prove the Tock ABI both ways.
 *
 * Built with Debian's arm-none-eabi-gcc (-fPIC -msingle-pic-base -mno-pic-data-is-text-relative,
 * no C library), packed as a TBF without fixed addresses, it runs wherever the kernel puts it.
 * It prints where it runs (the entry registers), then proves each kind of address moved:
 *  - a string literal reached through the GOT (read-only data in flash),
 *  - a pointer to a string and a function pointer stored in initialised data (relocated from the
 *    packer's table),
 *  - a counter in .bss and one in .data (RAM through the GOT),
 *  - an upcall function handed to the kernel (subscribe) and called back,
 * and the break the kernel reports (memop 1) against its own RAM start and the initial break
 * it was given. Output: "pic: running at flash 0x... ram 0x... break 0x...", then
 * "pic: relocated ok" (or "pic: relocation FAILED <what>"), and it exits with code 0.
 */
#include <stdint.h>

#include "tock.h"

static const char literal[] = "pic: relocated ok\r\n";
static uint32_t twice(uint32_t x) { return 2 * x; }
/* Initialised data holding addresses: the compiler cannot fold these (they are writable and
 * visible to other units), so they stay in .data and need the packer's relocation table. */
const char *greeting = "pic: running at flash ";
uint32_t (*doubler)(uint32_t) = twice;
static uint32_t in_data = 40;
static uint32_t in_bss;

static char line[96];
static uint32_t line_len;

static void put(const char *s) {
  while (*s && line_len < sizeof line) line[line_len++] = *s++;
}

static void put_hex(uint32_t v) {
  put("0x");
  for (int i = 7; i >= 0; i--) {
    char c[2] = {"0123456789abcdef"[(v >> (4 * i)) & 0xf], 0};
    put(c);
  }
}

static void flush(void) {
  console_write(line, line_len);
  line_len = 0;
}

static uint32_t fail(const char *what) {
  put("pic: relocation FAILED ");
  put(what);
  put("\r\n");
  flush();
  return 1;
}

int main(uint32_t app_start, uint32_t ram_start, uint32_t ram_len, uint32_t initial_break) {
  (void)ram_len;
  put(greeting);
  put_hex(app_start);
  put(" ram ");
  put_hex(ram_start);
  put(" break ");
  syscall_ret_t brk = tock_memop(1, 0); /* sbrk(0): the present break */
  put_hex(brk.r1);
  put("\r\n");
  flush();
  if (initial_break != ram_start + 32) return fail("initial break");
  if (brk.r0 != TOCK_SUCCESS_U32 || brk.r1 <= ram_start) return fail("break");
  if ((uint32_t)literal < app_start || (uint32_t)greeting < app_start) return fail("rodata");
  if (doubler(in_data) != 80) return fail("function pointer in data");
  in_bss += 1;
  if (in_bss != 1 || (uint32_t)&in_bss < ram_start) return fail("bss");
  if ((uint32_t)&in_data < ram_start || (uint32_t)&in_data >= brk.r1) return fail("data");
  console_write(literal, sizeof literal - 1);
  return 0;
}
