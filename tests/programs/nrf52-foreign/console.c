/*
 * console.c: a serial console written the way nRF52 firmware commonly is, as a witness for the
 * emulator's UARTE receive path and its NVIC.
 *  - Start-up: Nordic-style SystemInit (system_init.c: every errata workaround, FPU on).
 *  - No periodic tick: no RTC, no SysTick. The core sleeps in WFI until a UART event arrives;
 *    nothing else can wake it.
 *  - Receive: a one-byte EasyDMA buffer re-armed per character (PS "UARTE", "Reception"); built
 *    with -DREARM_WITH_STOPRX it re-arms with STOPRX then STARTRX back to back, as drivers that
 *    abort a pending receive do.
 *  - Interrupts the way Tock-style kernels take them: the handler masks the interrupt in the
 *    NVIC (ICER) and flags it; the main loop services the UARTE, then clears the pending bit
 *    (ICPR) and unmasks it (ISER). An event that arrived meanwhile keeps the level-sensitive
 *    line asserted, so the interrupt must stay pending (ARMv7-M ARM B3.4).
 *  - Every received byte is echoed; '#' prints "stats: received N errors E".
 * Output starts with "nordic console: part 0xPP errata16 0xXXXXXXXX" (what SystemInit read and
 * read back).
 */
#include <stdint.h>

#include "nordic.h"

#define UART_TX_PIN 6u
#define UART_RX_PIN 8u
#define TX_RING 1024u
#define TX_CHUNK 64u

extern volatile uint32_t system_part;
extern volatile uint32_t system_errata16_readback;

static volatile uint32_t uart_irq_flag;
static uint8_t rx_buf[2];
static uint32_t rx_slot;
static uint8_t tx_ring[TX_RING];
static uint32_t tx_head, tx_tail;
static uint8_t tx_dma[TX_CHUNK];
static uint32_t tx_busy;
static uint32_t received, errors;

void uarte0_uart0_irq(void) {
  NVIC_ICER(0) = 1u << UARTE0_IRQN;
  uart_irq_flag = 1;
}

static void put(char c) {
  uint32_t next = (tx_head + 1u) % TX_RING;
  if (next == tx_tail) return; /* full: dropped (the test would see it) */
  tx_ring[tx_head] = (uint8_t)c;
  tx_head = next;
}

static void puts_(const char *s) {
  while (*s) put(*s++);
}

static void put_hex(uint32_t v, uint32_t digits) {
  puts_("0x");
  for (uint32_t i = digits; i > 0; i--) put("0123456789abcdef"[(v >> (4u * (i - 1u))) & 0xFu]);
}

static void put_dec(uint32_t v) {
  char d[10];
  uint32_t n = 0;
  do {
    d[n++] = (char)('0' + v % 10u);
    v /= 10u;
  } while (v && n < 10u);
  while (n) put(d[--n]);
}

static void tx_kick(void) {
  if (tx_busy || tx_head == tx_tail) return;
  uint32_t n = 0;
  while (tx_tail != tx_head && n < TX_CHUNK) {
    tx_dma[n++] = tx_ring[tx_tail];
    tx_tail = (tx_tail + 1u) % TX_RING;
  }
  UARTE0_TXD_PTR = (uint32_t)(uintptr_t)tx_dma;
  UARTE0_TXD_MAXCNT = n;
  tx_busy = 1;
  UARTE0_TASKS_STARTTX = 1;
}

static void rx_arm(void) {
#ifdef REARM_WITH_STOPRX
  UARTE0_TASKS_STOPRX = 1;
#endif
  rx_slot ^= 1u;
  UARTE0_RXD_PTR = (uint32_t)(uintptr_t)&rx_buf[rx_slot];
  UARTE0_RXD_MAXCNT = 1;
  UARTE0_TASKS_STARTRX = 1;
}

static void service(void) {
  if (UARTE0_EVENTS_ERROR) {
    UARTE0_EVENTS_ERROR = 0;
    UARTE0_ERRORSRC = UARTE0_ERRORSRC; /* write 1 to clear */
    errors++;
  }
  if (UARTE0_EVENTS_RXTO) UARTE0_EVENTS_RXTO = 0;
  if (UARTE0_EVENTS_ENDRX) {
    UARTE0_EVENTS_ENDRX = 0;
    uint32_t amount = UARTE0_RXD_AMOUNT;
    uint8_t c = rx_buf[rx_slot];
    rx_arm();
    if (amount == 1u) {
      received++;
      if (c == '#') {
        puts_("\r\nstats: received ");
        put_dec(received);
        puts_(" errors ");
        put_dec(errors);
        puts_("\r\n");
      } else {
        put((char)c);
      }
    }
  }
  if (UARTE0_EVENTS_ENDTX) {
    UARTE0_EVENTS_ENDTX = 0;
    tx_busy = 0;
  }
  tx_kick();
}

int main(void) {
  CLOCK_EVENTS_HFCLKSTARTED = 0;
  CLOCK_TASKS_HFCLKSTART = 1;
  while (CLOCK_EVENTS_HFCLKSTARTED == 0) {
  }
  P0_OUTSET = 1u << UART_TX_PIN;
  P0_PIN_CNF(UART_TX_PIN) = PIN_CNF_OUTPUT_DISCONNECTED_INPUT;
  UARTE0_PSEL_TXD = PSEL_PIN(0, UART_TX_PIN);
  UARTE0_PSEL_RXD = PSEL_PIN(0, UART_RX_PIN);
  UARTE0_PSEL_RTS = PSEL_DISCONNECTED;
  UARTE0_PSEL_CTS = PSEL_DISCONNECTED;
  UARTE0_BAUDRATE = UARTE_BAUDRATE_115200;
  UARTE0_CONFIG = 0;
  UARTE0_ENABLE = UARTE_ENABLE_UARTE;
  UARTE0_INTENSET = UARTE_INT_ENDRX | UARTE_INT_ENDTX | UARTE_INT_ERROR;
  NVIC_ISER(0) = 1u << UARTE0_IRQN;

  puts_("nordic console: part ");
  put_hex(system_part, 2);
  puts_(" errata16 ");
  put_hex(system_errata16_readback, 8);
  puts_("\r\n> ");
  rx_slot = 0u;
  UARTE0_RXD_PTR = (uint32_t)(uintptr_t)&rx_buf[0];
  UARTE0_RXD_MAXCNT = 1;
  UARTE0_TASKS_STARTRX = 1;
  tx_kick();

  for (;;) {
    __asm volatile("cpsid i" ::: "memory");
    if (!uart_irq_flag) __asm volatile("wfi");
    __asm volatile("cpsie i" ::: "memory");
    if (uart_irq_flag) {
      uart_irq_flag = 0;
      service();
      NVIC_ICPR(0) = 1u << UARTE0_IRQN;
      NVIC_ISER(0) = 1u << UARTE0_IRQN;
    }
  }
}
