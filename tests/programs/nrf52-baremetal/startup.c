/*
 * startup.c: reset handler and vector table of the bare-metal nRF52 demo.
 *
 * The table has the 16 Cortex-M4 system vectors followed by the 48 peripheral interrupts of the
 * nRF52840, one per peripheral ID (PS "Memory" chapter, "Instantiation" table: the interrupt
 * number of a peripheral is its ID, bits 17:12 of its base address). Unused slots are reserved
 * IDs. Every handler defaults (weakly) to default_handler, which records the exception number
 * (IPSR) and the fault status (CFSR) so a test can tell which unexpected exception stopped the
 * program, and then parks the core. The reset handler does what any C runtime does before main:
 * copy .data from flash to RAM and clear .bss (symbols from the linker script), then it calls
 * SystemInit when the program defines one (as Nordic's start-up files do).
 */
#include <stdint.h>

extern uint32_t __stack_top[];
extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];

int main(void);

/* Exception number of the last unexpected exception (0 while none happened) and the
 * Configurable Fault Status Register at that moment (ARMv7-M ARM B3.2.15, 0xE000ED28). */
volatile uint32_t unexpected_exception;
volatile uint32_t fault_cfsr;

void default_handler(void) {
  uint32_t ipsr;
  __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
  unexpected_exception = ipsr & 0x1FFu;
  fault_cfsr = *(volatile uint32_t *)0xE000ED28u;
  for (;;) __asm volatile("wfi");
}

#define WEAK_HANDLER(name) void name(void) __attribute__((weak, alias("default_handler")))

WEAK_HANDLER(nmi_handler);
WEAK_HANDLER(hardfault_handler);
WEAK_HANDLER(memmanage_handler);
WEAK_HANDLER(busfault_handler);
WEAK_HANDLER(usagefault_handler);
WEAK_HANDLER(svc_handler);
WEAK_HANDLER(debugmon_handler);
WEAK_HANDLER(pendsv_handler);
WEAK_HANDLER(systick_handler);

WEAK_HANDLER(power_clock_irq);      /* 0 */
WEAK_HANDLER(radio_irq);            /* 1 */
WEAK_HANDLER(uarte0_uart0_irq);     /* 2 */
WEAK_HANDLER(serial0_irq);          /* 3: SPIM0/SPIS0/TWIM0/TWIS0/SPI0/TWI0 */
WEAK_HANDLER(serial1_irq);          /* 4: SPIM1/SPIS1/TWIM1/TWIS1/SPI1/TWI1 */
WEAK_HANDLER(nfct_irq);             /* 5 */
WEAK_HANDLER(gpiote_irq);           /* 6 */
WEAK_HANDLER(saadc_irq);            /* 7 */
WEAK_HANDLER(timer0_irq);           /* 8 */
WEAK_HANDLER(timer1_irq);           /* 9 */
WEAK_HANDLER(timer2_irq);           /* 10 */
WEAK_HANDLER(rtc0_irq);             /* 11 */
WEAK_HANDLER(temp_irq);             /* 12 */
WEAK_HANDLER(rng_irq);              /* 13 */
WEAK_HANDLER(ecb_irq);              /* 14 */
WEAK_HANDLER(ccm_aar_irq);          /* 15 */
WEAK_HANDLER(wdt_irq);              /* 16 */
WEAK_HANDLER(rtc1_irq);             /* 17 */
WEAK_HANDLER(qdec_irq);             /* 18 */
WEAK_HANDLER(comp_lpcomp_irq);      /* 19 */
WEAK_HANDLER(swi0_egu0_irq);        /* 20 */
WEAK_HANDLER(swi1_egu1_irq);        /* 21 */
WEAK_HANDLER(swi2_egu2_irq);        /* 22 */
WEAK_HANDLER(swi3_egu3_irq);        /* 23 */
WEAK_HANDLER(swi4_egu4_irq);        /* 24 */
WEAK_HANDLER(swi5_egu5_irq);        /* 25 */
WEAK_HANDLER(timer3_irq);           /* 26 */
WEAK_HANDLER(timer4_irq);           /* 27 */
WEAK_HANDLER(pwm0_irq);             /* 28 */
WEAK_HANDLER(pdm_irq);              /* 29 */
WEAK_HANDLER(mwu_irq);              /* 32 */
WEAK_HANDLER(pwm1_irq);             /* 33 */
WEAK_HANDLER(pwm2_irq);             /* 34 */
WEAK_HANDLER(serial2_irq);          /* 35: SPIM2/SPIS2/SPI2 */
WEAK_HANDLER(rtc2_irq);             /* 36 */
WEAK_HANDLER(i2s_irq);              /* 37 */
WEAK_HANDLER(fpu_irq);              /* 38 */
WEAK_HANDLER(usbd_irq);             /* 39 */
WEAK_HANDLER(uarte1_irq);           /* 40 */
WEAK_HANDLER(qspi_irq);             /* 41 */
WEAK_HANDLER(cryptocell_irq);       /* 42 */
WEAK_HANDLER(pwm3_irq);             /* 45 */
WEAK_HANDLER(spim3_irq);            /* 47 */

void reset_handler(void);

typedef void (*vector_t)(void);

/* 16 system vectors + 48 interrupts; the linker script keeps .vectors at flash address 0. */
__attribute__((section(".vectors"), used)) const vector_t vector_table[16 + 48] = {
    (vector_t)(uintptr_t)__stack_top,
    reset_handler,
    nmi_handler,
    hardfault_handler,
    memmanage_handler,
    busfault_handler,
    usagefault_handler,
    0,
    0,
    0,
    0,
    svc_handler,
    debugmon_handler,
    0,
    pendsv_handler,
    systick_handler,
    /* IRQ 0.. */
    power_clock_irq,
    radio_irq,
    uarte0_uart0_irq,
    serial0_irq,
    serial1_irq,
    nfct_irq,
    gpiote_irq,
    saadc_irq,
    timer0_irq,
    timer1_irq,
    timer2_irq,
    rtc0_irq,
    temp_irq,
    rng_irq,
    ecb_irq,
    ccm_aar_irq,
    wdt_irq,
    rtc1_irq,
    qdec_irq,
    comp_lpcomp_irq,
    swi0_egu0_irq,
    swi1_egu1_irq,
    swi2_egu2_irq,
    swi3_egu3_irq,
    swi4_egu4_irq,
    swi5_egu5_irq,
    timer3_irq,
    timer4_irq,
    pwm0_irq,
    pdm_irq,
    default_handler, /* 30: reserved */
    default_handler, /* 31: reserved */
    mwu_irq,
    pwm1_irq,
    pwm2_irq,
    serial2_irq,
    rtc2_irq,
    i2s_irq,
    fpu_irq,
    usbd_irq,
    uarte1_irq,
    qspi_irq,
    cryptocell_irq,
    default_handler, /* 43: reserved */
    default_handler, /* 44: reserved */
    pwm3_irq,
    default_handler, /* 46: reserved */
    spim3_irq,
};

/* Chip set-up before main, as Nordic's start-up files call it (a program may define it; the
 * demo does not). */
void SystemInit(void) __attribute__((weak));

void reset_handler(void) {
  /* Word loops through volatile pointers so the compiler cannot turn them into memcpy/memset
   * calls (there is no C library). */
  volatile uint32_t *dst = __data_start;
  const volatile uint32_t *src = __data_load;
  while (dst < __data_end) *dst++ = *src++;
  for (dst = __bss_start; dst < __bss_end;) *dst++ = 0;
  if (SystemInit) SystemInit();
  main();
  for (;;) __asm volatile("wfi");
}
