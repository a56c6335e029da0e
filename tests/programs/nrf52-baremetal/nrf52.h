/*
 * nrf52.h: the few nRF52840/nRF52833 registers this bare-metal demo touches, written by hand
 * from the nRF52840 Product Specification (PS) the way a board developer without a vendor SDK
 * would: base addresses from the PS "Memory" chapter's instantiation table, offsets from each
 * peripheral's "Registers" section. No vendor header is used on purpose: the program is an
 * independent witness that the emulator behaves like the documented chip.
 */
#ifndef NRF52_H
#define NRF52_H

#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* ---- FICR (PS "FICR - Factory information configuration registers"), base 0x10000000 ---- */
#define FICR_BASE 0x10000000u
#define FICR_CODEPAGESIZE REG32(FICR_BASE + 0x010u) /* bytes per flash page */
#define FICR_CODESIZE REG32(FICR_BASE + 0x014u)     /* flash size in pages */
#define FICR_DEVICEID(n) REG32(FICR_BASE + 0x060u + 4u * (n))
#define FICR_INFO_PART REG32(FICR_BASE + 0x100u)  /* 0x52840 / 0x52833 */
#define FICR_INFO_RAM REG32(FICR_BASE + 0x10Cu)   /* KiB, e.g. 0x100 = 256 KiB */
#define FICR_INFO_FLASH REG32(FICR_BASE + 0x110u) /* KiB, e.g. 0x400 = 1024 KiB */

/* ---- CLOCK (PS "CLOCK - Clock control"), base 0x40000000 ---- */
#define CLOCK_BASE 0x40000000u
#define CLOCK_TASKS_HFCLKSTART REG32(CLOCK_BASE + 0x000u)
#define CLOCK_TASKS_LFCLKSTART REG32(CLOCK_BASE + 0x008u)
#define CLOCK_EVENTS_HFCLKSTARTED REG32(CLOCK_BASE + 0x100u)
#define CLOCK_EVENTS_LFCLKSTARTED REG32(CLOCK_BASE + 0x104u)
#define CLOCK_HFCLKSTAT REG32(CLOCK_BASE + 0x40Cu)
#define CLOCK_LFCLKSTAT REG32(CLOCK_BASE + 0x418u)
#define CLOCK_LFCLKSRC REG32(CLOCK_BASE + 0x518u)
#define CLOCK_LFCLKSRC_XTAL 1u        /* SRC = Xtal: 32.768 kHz crystal oscillator */
#define CLOCK_HFCLKSTAT_SRC_XTAL 1u   /* bit 0: HFCLK runs from the crystal */
#define CLOCK_STAT_STATE_RUNNING (1u << 16)

/* ---- UARTE0 (PS "UARTE - Universal asynchronous receiver/transmitter with EasyDMA") ---- */
#define UARTE0_BASE 0x40002000u
#define UARTE0_TASKS_STARTTX REG32(UARTE0_BASE + 0x008u)
#define UARTE0_TASKS_STOPTX REG32(UARTE0_BASE + 0x00Cu)
#define UARTE0_EVENTS_ENDTX REG32(UARTE0_BASE + 0x120u)
#define UARTE0_EVENTS_TXSTOPPED REG32(UARTE0_BASE + 0x158u)
#define UARTE0_ENABLE REG32(UARTE0_BASE + 0x500u)
#define UARTE0_PSEL_RTS REG32(UARTE0_BASE + 0x508u)
#define UARTE0_PSEL_TXD REG32(UARTE0_BASE + 0x50Cu)
#define UARTE0_PSEL_CTS REG32(UARTE0_BASE + 0x510u)
#define UARTE0_PSEL_RXD REG32(UARTE0_BASE + 0x514u)
#define UARTE0_BAUDRATE REG32(UARTE0_BASE + 0x524u)
#define UARTE0_TXD_PTR REG32(UARTE0_BASE + 0x544u)
#define UARTE0_TXD_MAXCNT REG32(UARTE0_BASE + 0x548u)
#define UARTE0_TXD_AMOUNT REG32(UARTE0_BASE + 0x54Cu)
#define UARTE0_CONFIG REG32(UARTE0_BASE + 0x56Cu)
#define UARTE_ENABLE_UARTE 8u                 /* 8 = UARTE (EasyDMA); 4 would be legacy UART */
#define UARTE_BAUDRATE_115200 0x01D60000u     /* PS UARTE BAUDRATE table: 115200 (actual 115108) */
#define PSEL_DISCONNECTED 0xFFFFFFFFu         /* CONNECT bit 31 = 1 */
#define PSEL_PIN(port, pin) (((uint32_t)(port) << 5) | (uint32_t)(pin)) /* CONNECT = 0 */

/* ---- RTC1 (PS "RTC - Real-time counter"), base 0x40011000, IRQ 17 ---- */
#define RTC1_BASE 0x40011000u
#define RTC1_IRQN 17u
#define RTC1_TASKS_START REG32(RTC1_BASE + 0x000u)
#define RTC1_TASKS_STOP REG32(RTC1_BASE + 0x004u)
#define RTC1_TASKS_CLEAR REG32(RTC1_BASE + 0x008u)
#define RTC1_EVENTS_COMPARE(n) REG32(RTC1_BASE + 0x140u + 4u * (n))
#define RTC1_INTENSET REG32(RTC1_BASE + 0x304u)
#define RTC1_INTENCLR REG32(RTC1_BASE + 0x308u)
#define RTC1_COUNTER REG32(RTC1_BASE + 0x504u)
#define RTC1_PRESCALER REG32(RTC1_BASE + 0x508u)
#define RTC1_CC(n) REG32(RTC1_BASE + 0x540u + 4u * (n))
#define RTC_INT_COMPARE0 (1u << 16)
#define RTC_COUNTER_MASK 0x00FFFFFFu /* COUNTER and CC are 24 bits wide */

/* ---- GPIO P0 (PS "GPIO - General purpose input/output"), base 0x50000000 ---- */
#define P0_BASE 0x50000000u
#define P0_OUT REG32(P0_BASE + 0x504u)
#define P0_OUTSET REG32(P0_BASE + 0x508u)
#define P0_OUTCLR REG32(P0_BASE + 0x50Cu)
#define P0_DIRSET REG32(P0_BASE + 0x518u)
#define P0_PIN_CNF(n) REG32(P0_BASE + 0x700u + 4u * (n))
#define PIN_CNF_OUTPUT_DISCONNECTED_INPUT 0x3u /* DIR = Output, INPUT = Disconnect */

/* ---- Cortex-M4 NVIC (ARMv7-M Architecture Reference Manual, B3.4) ---- */
#define NVIC_ISER(n) REG32(0xE000E100u + 4u * (n))
#define NVIC_ICPR(n) REG32(0xE000E280u + 4u * (n))
#define NVIC_IPR_BYTE(irq) (*(volatile uint8_t *)(uintptr_t)(0xE000E400u + (irq)))

#endif
