/*
 * led: exercises the LED driver (0x2) as Tock's example apps use it: count the LEDs, turn each
 * on, toggle them, then leave LEDs 0 and 2 lit and the others dark, and try an index past the
 * last one. Prints "led: N LEDs", "led: led N -> INVALID" and "led: done (0 and 2 lit)".
 */
#include <stdint.h>

#include "tock.h"

#define LED 2u

int main(void) {
  syscall_ret_t n = tock_command(LED, 0, 0, 0);
  if (n.r0 != TOCK_SUCCESS_U32) {
    out_str("led: no LED driver");
    out_line();
    return 1;
  }
  out_str("led: ");
  out_dec(n.r1);
  out_str(" LEDs");
  out_line();
  for (uint32_t i = 0; i < n.r1; i++) tock_command(LED, 1, i, 0);
  for (uint32_t i = 0; i < n.r1; i++) tock_command(LED, 3, i, 0); /* all off again */
  tock_command(LED, 1, 0, 0);
  tock_command(LED, 3, 2, 0);
  syscall_ret_t bad = tock_command(LED, 1, n.r1, 0);
  out_str("led: led ");
  out_dec(n.r1);
  out_str(bad.r0 == 0 && bad.r1 == 6 ? " -> INVALID" : " -> accepted (ERROR)");
  out_line();
  out_str("led: done (0 and 2 lit)");
  out_line();
  return 0;
}
