/*
 * main.c: an ordinary bare-metal nRF52840 program, written from the Product Specification (PS)
 * alone, used as an independent witness of the emulator's nRF52 machines.
 *
 * What it does, as firmware on a real nRF52840-DK would:
 *  1. starts the 64 MHz crystal (HFXO) and the 32.768 kHz crystal (LFXO) through the CLOCK
 *     tasks and waits for the STARTED events (PS "CLOCK", "HFCLK controller"/"LFCLK controller");
 *  2. sets UARTE0 up on P0.06 (TXD) / P0.08 (RXD) at 115200 baud and prints through EasyDMA:
 *     TXD.PTR/MAXCNT, STARTTX, wait ENDTX, then STOPTX and wait TXSTOPPED (PS "UARTE",
 *     "Transmission"). EasyDMA can only read Data RAM (PS "EasyDMA"), so every line is built in
 *     a RAM buffer first; a string literal in flash is never handed to the DMA;
 *  3. prints the FICR identification words (INFO.PART, INFO.RAM, INFO.FLASH, DEVICEID[0..1]) and
 *     the flash size from CODEPAGESIZE * CODESIZE (PS "FICR");
 *  4. runs RTC1 at 32768 / (PRESCALER + 1) = 1024 Hz with a CC[0] compare interrupt
 *     (INTENSET.COMPARE0, IRQ 17) re-armed PERIOD ticks later by the handler (PS "RTC",
 *     "COMPARE"); main sleeps in WFI and prints "tick N COUNTER c" for N = 1..5, where c is the
 *     COUNTER the handler saw, then "done", turns the interrupt off and sleeps for good;
 *  5. toggles LED1 (P0.13, active low on the DK) at each tick through GPIO OUTSET/OUTCLR.
 * Nothing here knows it runs in an emulator. Built with -DDMA_FROM_FLASH it also makes the
 * classic mistake of giving EasyDMA a buffer in flash (see there).
 */
#include <stdint.h>

#include "nrf52.h"

#define LED1_PIN 13u
#define UART_TX_PIN 6u
#define UART_RX_PIN 8u
#define RTC_PRESCALER 31u /* 32768 / 32 = 1024 Hz */
#define TICK_PERIOD 100u  /* RTC ticks between interrupts: about 97.7 ms */
#define TICKS 5u

/* Updated by the RTC1 handler, read by main. */
static volatile uint32_t tick_count;
static volatile uint32_t tick_counter[TICKS + 1];

/* EasyDMA source buffer: .bss, so in Data RAM. */
static char line[96];
static uint32_t line_len;

/* Initialised data: the C runtime copied it from flash to RAM, so EasyDMA may send it as is. */
static char banner[] = "nrf52 bare-metal demo\r\n";

/* ---------------------------------------------------------------- clocks */

static void clocks_start(void) {
  CLOCK_EVENTS_HFCLKSTARTED = 0;
  CLOCK_TASKS_HFCLKSTART = 1;
  while (CLOCK_EVENTS_HFCLKSTARTED == 0) {
  }
  CLOCK_EVENTS_HFCLKSTARTED = 0;

  CLOCK_LFCLKSRC = CLOCK_LFCLKSRC_XTAL;
  CLOCK_EVENTS_LFCLKSTARTED = 0;
  CLOCK_TASKS_LFCLKSTART = 1;
  while (CLOCK_EVENTS_LFCLKSTARTED == 0) {
  }
  CLOCK_EVENTS_LFCLKSTARTED = 0;
}

/* ---------------------------------------------------------------- UARTE0 */

static void uart_init(void) {
  /* TXD idles high: drive it as an output at 1 before the UARTE takes the pin (PS "UARTE",
   * "Pin configuration"). */
  P0_OUTSET = 1u << UART_TX_PIN;
  P0_PIN_CNF(UART_TX_PIN) = PIN_CNF_OUTPUT_DISCONNECTED_INPUT;
  UARTE0_PSEL_TXD = PSEL_PIN(0, UART_TX_PIN);
  UARTE0_PSEL_RXD = PSEL_PIN(0, UART_RX_PIN);
  UARTE0_PSEL_RTS = PSEL_DISCONNECTED;
  UARTE0_PSEL_CTS = PSEL_DISCONNECTED;
  UARTE0_BAUDRATE = UARTE_BAUDRATE_115200;
  UARTE0_CONFIG = 0; /* no flow control, no parity, one stop bit */
  UARTE0_ENABLE = UARTE_ENABLE_UARTE;
}

/* Send a RAM buffer and wait until its last byte has been sent, then stop the transmitter. */
static void uart_send(const char *buf, uint32_t len) {
  if (len == 0) return;
  UARTE0_EVENTS_ENDTX = 0;
  UARTE0_EVENTS_TXSTOPPED = 0;
  UARTE0_TXD_PTR = (uint32_t)(uintptr_t)buf;
  UARTE0_TXD_MAXCNT = len;
  UARTE0_TASKS_STARTTX = 1;
  while (UARTE0_EVENTS_ENDTX == 0) {
  }
  UARTE0_EVENTS_ENDTX = 0;
  UARTE0_TASKS_STOPTX = 1;
  while (UARTE0_EVENTS_TXSTOPPED == 0) {
  }
  UARTE0_EVENTS_TXSTOPPED = 0;
}

static void uart_flush(void) {
  uart_send(line, line_len);
  line_len = 0;
}

/* ---------------------------------------------------------------- formatting into line[] */

static void put_char(char c) {
  if (line_len == sizeof line) uart_flush();
  line[line_len++] = c;
}

/* Copies from flash (string literals) into the RAM buffer. */
static void put_str(const char *s) {
  while (*s) put_char(*s++);
}

static void put_dec(uint32_t v) {
  char digits[10];
  int n = 0;
  do {
    digits[n++] = (char)('0' + v % 10u);
    v /= 10u;
  } while (v != 0);
  while (n > 0) put_char(digits[--n]);
}

static void put_hex(uint32_t v, int width) {
  for (int shift = (width - 1) * 4; shift >= 0; shift -= 4)
    put_char("0123456789abcdef"[(v >> shift) & 0xFu]);
}

/* Print "<label> <decimal>\r\n". */
static void print_dec(const char *label, uint32_t v) {
  put_str(label);
  put_char(' ');
  put_dec(v);
  put_str("\r\n");
  uart_flush();
}

/* ---------------------------------------------------------------- RTC1 */

void rtc1_irq(void) {
  if (RTC1_EVENTS_COMPARE(0) != 0) {
    RTC1_EVENTS_COMPARE(0) = 0;
    /* Read back so the event clear has reached the peripheral before the handler returns;
     * otherwise the still-high interrupt line re-pends the IRQ (PS "Peripheral interface",
     * "Interrupt clearing"). */
    (void)RTC1_EVENTS_COMPARE(0);
    uint32_t n = tick_count + 1u;
    if (n <= TICKS) tick_counter[n] = RTC1_COUNTER;
    tick_count = n;
    RTC1_CC(0) = (RTC1_CC(0) + TICK_PERIOD) & RTC_COUNTER_MASK;
  }
}

static void rtc_start(void) {
  RTC1_TASKS_STOP = 1;
  RTC1_PRESCALER = RTC_PRESCALER; /* PRESCALER may only be written while stopped */
  RTC1_TASKS_CLEAR = 1;
  RTC1_CC(0) = TICK_PERIOD;
  RTC1_EVENTS_COMPARE(0) = 0;
  RTC1_INTENSET = RTC_INT_COMPARE0;
  NVIC_IPR_BYTE(RTC1_IRQN) = 0x60; /* priority 3 of 8 (the nRF52 implements 3 bits) */
  NVIC_ICPR(RTC1_IRQN / 32u) = 1u << (RTC1_IRQN % 32u);
  NVIC_ISER(RTC1_IRQN / 32u) = 1u << (RTC1_IRQN % 32u);
  RTC1_TASKS_START = 1;
}

/* ---------------------------------------------------------------- LED */

static void led_init(void) {
  P0_OUTSET = 1u << LED1_PIN; /* LED1 is active low: start off */
  P0_PIN_CNF(LED1_PIN) = PIN_CNF_OUTPUT_DISCONNECTED_INPUT;
}

static void led_toggle(void) {
  if (P0_OUT & (1u << LED1_PIN))
    P0_OUTCLR = 1u << LED1_PIN;
  else
    P0_OUTSET = 1u << LED1_PIN;
}

/* ---------------------------------------------------------------- main */

int main(void) {
  clocks_start();
  led_init();
  uart_init();

  uart_send(banner, sizeof banner - 1);
  put_str("HFCLK ");
  put_str((CLOCK_HFCLKSTAT & CLOCK_HFCLKSTAT_SRC_XTAL) ? "xtal" : "rc");
  put_str(" LFCLK ");
  put_str((CLOCK_LFCLKSTAT & 3u) == CLOCK_LFCLKSRC_XTAL ? "xtal" : "other");
  put_str("\r\n");
  uart_flush();

  put_str("PART ");
  put_hex(FICR_INFO_PART, 5); /* the part code reads as its name in hex: 0x52840 */
  put_str("\r\n");
  uart_flush();
  print_dec("RAM", FICR_INFO_RAM);
  print_dec("FLASH", FICR_INFO_FLASH);
  print_dec("CODE", FICR_CODEPAGESIZE * FICR_CODESIZE / 1024u);
  put_str("DEVICEID ");
  put_hex(FICR_DEVICEID(1), 8);
  put_hex(FICR_DEVICEID(0), 8);
  put_str("\r\n");
  uart_flush();

#ifdef DMA_FROM_FLASH
  /* The classic mistake, built only for the emulator's fault test: hand EasyDMA a constant
   * that lives in flash. The PS ("EasyDMA") warns this "may result in a HardFault or RAM
   * corruption"; it must never print. */
  static const char from_flash[] = "from flash\r\n";
  uart_send(from_flash, sizeof from_flash - 1);
#endif

  rtc_start();
  uint32_t shown = 0;
  while (shown < TICKS) {
    /* Sleep until the handler has run. Interrupts are masked around the check so a tick
     * between the check and WFI cannot be missed: WFI still wakes on the pending IRQ
     * (PRIMASK does not block the wake-up), which is taken as soon as PRIMASK is cleared. */
    for (;;) {
      __asm volatile("cpsid i" ::: "memory");
      if (tick_count != shown) break;
      __asm volatile("wfi" ::: "memory");
      __asm volatile("cpsie i" ::: "memory");
    }
    __asm volatile("cpsie i" ::: "memory");
    while (shown < tick_count && shown < TICKS) {
      shown++;
      led_toggle();
      put_str("tick ");
      put_dec(shown);
      put_str(" COUNTER ");
      put_dec(tick_counter[shown]);
      put_str("\r\n");
      uart_flush();
    }
  }

  RTC1_INTENCLR = RTC_INT_COMPARE0;
  put_str("done\r\n");
  uart_flush();
  for (;;) __asm volatile("wfi");
}
