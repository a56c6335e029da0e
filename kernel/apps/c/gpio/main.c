/*
 * gpio: exercises the GPIO driver (0x4) as Tock's GPIO test app does: pin 0 as an output
 * (set, toggle, set), pin 1 as a pulled-up input with interrupts on either edge, and prints
 * each edge the upcall reports ("gpio: pin 1 changed to L"), then reads it back.
 */
#include <stdint.h>

#include "tock.h"

#define GPIO 4u

static volatile uint32_t events, last_pin, last_level;

static void changed(uint32_t pin, uint32_t level, uint32_t unused, void *data) {
  (void)unused;
  (void)data;
  last_pin = pin;
  last_level = level;
  events++;
}

int main(void) {
  syscall_ret_t n = tock_command(GPIO, 0, 0, 0);
  if (n.r0 != TOCK_SUCCESS_U32 || n.r1 < 2) {
    out_str("gpio: no GPIO driver with 2 pins");
    out_line();
    return 1;
  }
  tock_command(GPIO, 1, 0, 0);
  tock_command(GPIO, 2, 0, 0);
  tock_command(GPIO, 4, 0, 0);
  tock_command(GPIO, 4, 0, 0);
  syscall_ret_t level = tock_command(GPIO, 6, 0, 0);
  out_str("gpio: ");
  out_dec(n.r1);
  out_str(" pins; pin 0 output high, reads ");
  out_dec(level.r1);
  out_line();
  tock_subscribe(GPIO, 0, changed, 0);
  tock_command(GPIO, 5, 1, 1);
  syscall_ret_t en = tock_command(GPIO, 7, 1, 0);
  syscall_ret_t bad = tock_command(GPIO, 5, n.r1, 0);
  out_str("gpio: pin 1 input with pull-up, interrupts ");
  out_str(en.r0 == TOCK_SUCCESS ? "on" : "refused");
  out_str("; pin ");
  out_dec(n.r1);
  out_str(bad.r0 == 0 && bad.r1 == 6 ? " -> INVALID" : " -> accepted (ERROR)");
  out_line();
  uint32_t seen = 0;
  for (;;) {
    while (events == seen) tock_yield_wait();
    seen = events;
    out_str("gpio: pin ");
    out_dec(last_pin);
    out_str(" changed to ");
    out_dec(last_level);
    out_str(", reads ");
    out_dec(tock_command(GPIO, 6, last_pin, 0).r1);
    out_line();
  }
}
