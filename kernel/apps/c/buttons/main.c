/*
 * buttons: exercises the button driver (0x3) as Tock's example apps do: count the buttons,
 * enable interrupts for all of them, and print each press and release the upcall reports
 * ("buttons: button I pressed|released, reads R" with R the driver's own read of it).
 */
#include <stdint.h>

#include "tock.h"

#define BUTTON 3u

static volatile uint32_t events, last_index, last_pressed;

static void changed(uint32_t index, uint32_t pressed, uint32_t unused, void *data) {
  (void)unused;
  (void)data;
  last_index = index;
  last_pressed = pressed;
  events++;
}

int main(void) {
  syscall_ret_t n = tock_command(BUTTON, 0, 0, 0);
  if (n.r0 != TOCK_SUCCESS_U32) {
    out_str("buttons: no button driver");
    out_line();
    return 1;
  }
  tock_subscribe(BUTTON, 0, changed, 0);
  for (uint32_t i = 0; i < n.r1; i++) tock_command(BUTTON, 1, i, 0);
  out_str("buttons: ");
  out_dec(n.r1);
  out_str(" buttons, waiting");
  out_line();
  uint32_t seen = 0;
  for (;;) {
    while (events == seen) tock_yield_wait();
    seen = events;
    syscall_ret_t r = tock_command(BUTTON, 3, last_index, 0);
    out_str("buttons: button ");
    out_dec(last_index);
    out_str(last_pressed ? " pressed, reads " : " released, reads ");
    out_dec(r.r1);
    out_line();
  }
}
