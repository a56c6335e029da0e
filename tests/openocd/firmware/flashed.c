/*
 * flashed.c: the image the OpenOCD suites program into the emulated nRF52840 and debug there.
 *
 * It says which image it is on UARTE0 ("flashed image A", or B when built with -DIMAGE_B), so a
 * test sees that the image it flashed is the one that boots, then counts for ever through a
 * function that is never inlined: a place for a breakpoint, a global to read, instructions to
 * step. UARTE0 is driven as main.c of the bare-metal demo drives it (PS "UARTE", EasyDMA from a
 * RAM buffer).
 */
#include <stdint.h>

#include "nrf52.h"

#define UART_TX_PIN 6u
#define UART_RX_PIN 8u

#ifdef IMAGE_B
static char banner[] = "flashed image B\r\n";
#else
static char banner[] = "flashed image A\r\n";
#endif

/* Read by the debugger tests: grows by one per call of count_once. */
volatile uint32_t counter;

__attribute__((noinline)) void count_once(void) {
  counter = counter + 1u;
}

static void uart_send(const char *buf, uint32_t len) {
  P0_OUTSET = 1u << UART_TX_PIN;
  P0_PIN_CNF(UART_TX_PIN) = PIN_CNF_OUTPUT_DISCONNECTED_INPUT;
  UARTE0_PSEL_TXD = PSEL_PIN(0, UART_TX_PIN);
  UARTE0_PSEL_RXD = PSEL_PIN(0, UART_RX_PIN);
  UARTE0_PSEL_RTS = PSEL_DISCONNECTED;
  UARTE0_PSEL_CTS = PSEL_DISCONNECTED;
  UARTE0_BAUDRATE = UARTE_BAUDRATE_115200;
  UARTE0_CONFIG = 0;
  UARTE0_ENABLE = UARTE_ENABLE_UARTE;
  UARTE0_EVENTS_ENDTX = 0;
  UARTE0_EVENTS_TXSTOPPED = 0;
  UARTE0_TXD_PTR = (uint32_t)(uintptr_t)buf;
  UARTE0_TXD_MAXCNT = len;
  UARTE0_TASKS_STARTTX = 1;
  while (UARTE0_EVENTS_ENDTX == 0) {
  }
  UARTE0_TASKS_STOPTX = 1;
  while (UARTE0_EVENTS_TXSTOPPED == 0) {
  }
}

int main(void) {
  uart_send(banner, sizeof banner - 1u);
  for (;;) count_once();
}
