/*
 * temperature: reads the temperature driver (0x60000) as Tock's sensor apps do: start a
 * reading, wait for the upcall, print it in hundredths of a degree ("temperature: 2175 (21.75
 * C)"), twice, and check that a second start while one is pending answers BUSY.
 */
#include <stdint.h>

#include "tock.h"

#define TEMPERATURE 0x60000u

static volatile uint32_t done;
static volatile int32_t value;

static void ready(uint32_t centi, uint32_t a, uint32_t b, void *data) {
  (void)a;
  (void)b;
  (void)data;
  value = (int32_t)centi;
  done = 1;
}

static void print(int32_t v) {
  out_str("temperature: ");
  uint32_t mag = v < 0 ? (uint32_t)-v : (uint32_t)v;
  if (v < 0) out_str("-");
  out_dec(mag);
  out_str(" hundredths of a degree C");
  out_line();
}

int main(void) {
  if (tock_command(TEMPERATURE, 0, 0, 0).r0 != TOCK_SUCCESS) {
    out_str("temperature: no temperature driver");
    out_line();
    return 1;
  }
  tock_subscribe(TEMPERATURE, 0, ready, 0);
  for (int round = 0; round < 2; round++) {
    done = 0;
    tock_command(TEMPERATURE, 1, 0, 0);
    if (round == 0) {
      syscall_ret_t again = tock_command(TEMPERATURE, 1, 0, 0);
      out_str(again.r0 == 0 && again.r1 == 2 ? "temperature: second start -> BUSY"
                                             : "temperature: second start accepted (ERROR)");
      out_line();
    }
    while (!done) tock_yield_wait();
    print(value);
  }
  return 0;
}
