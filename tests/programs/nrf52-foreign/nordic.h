/*
 * nordic.h: the registers the Nordic-style start-up code and the console below use beyond
 * ../nrf52-baremetal/nrf52.h, written from the nRF52840 Product Specification (PS), Nordic's
 * errata sheets and the MDK's documented behaviour (FICR 0x130/0x134 part and revision codes,
 * mdk/nrf52_erratas.h), the way firmware written against Nordic's headers ends up touching the
 * chip. No vendor file is included.
 */
#ifndef NORDIC_H
#define NORDIC_H

#include "nrf52.h"

/* FICR words the MDK reads to choose workarounds (undocumented in the PS). */
#define FICR_ERRATA_PART REG32(0x10000130u)     /* 0x08 nRF52840, 0x0D nRF52833 */
#define FICR_ERRATA_REVISION REG32(0x10000134u) /* revision code */
#define FICR_TRIM_CLOCK REG32(0x10000244u)      /* errata 31 */
#define FICR_TRIM_RAM REG32(0x10000258u)        /* errata 108/115 */
#define FICR_TRIM_COMP REG32(0x10000324u)       /* errata 12 */
#define FICR_TEMP(n) REG32(0x10000404u + 4u * (n)) /* A0-A5, B0-B5, T0-T4: 17 words */
#define UICR_APPROTECT REG32(0x10001208u)

/* CLOCK / POWER (PS "CLOCK", "POWER"), base 0x40000000. */
#define CLOCK_EVENTS_DONE REG32(CLOCK_BASE + 0x10Cu)
#define CLOCK_EVENTS_CTTO REG32(CLOCK_BASE + 0x110u)
#define CLOCK_CTIV REG32(CLOCK_BASE + 0x538u)
#define POWER_RESETREAS REG32(CLOCK_BASE + 0x400u)
#define POWER_RESETREAS_RESETPIN 1u
#define APPROTECT_DISABLE REG32(CLOCK_BASE + 0x558u) /* hardened-APPROTECT revisions */

/* TEMP (PS "TEMP"): A0-A5 at 0x520, B0-B5 at 0x540, T0-T4 at 0x560. */
#define TEMP_BASE 0x4000C000u
#define TEMP_COEFF(n) \
  REG32(TEMP_BASE + ((n) < 6u ? 0x520u + 4u * (n) : (n) < 12u ? 0x540u + 4u * ((n)-6u) : 0x560u + 4u * ((n)-12u)))

/* CCM MAXPACKETSIZE (PS "CCM"), errata 103. */
#define CCM_MAXPACKETSIZE REG32(0x4000F518u)

/* UARTE0 reception and interrupts (PS "UARTE"). */
#define UARTE0_TASKS_STARTRX REG32(UARTE0_BASE + 0x000u)
#define UARTE0_TASKS_STOPRX REG32(UARTE0_BASE + 0x004u)
#define UARTE0_EVENTS_ENDRX REG32(UARTE0_BASE + 0x110u)
#define UARTE0_EVENTS_ERROR REG32(UARTE0_BASE + 0x124u)
#define UARTE0_EVENTS_RXTO REG32(UARTE0_BASE + 0x144u)
#define UARTE0_INTENSET REG32(UARTE0_BASE + 0x304u)
#define UARTE0_ERRORSRC REG32(UARTE0_BASE + 0x480u)
#define UARTE0_RXD_PTR REG32(UARTE0_BASE + 0x534u)
#define UARTE0_RXD_MAXCNT REG32(UARTE0_BASE + 0x538u)
#define UARTE0_RXD_AMOUNT REG32(UARTE0_BASE + 0x53Cu)
#define UARTE_INT_ENDRX (1u << 4)
#define UARTE_INT_ENDTX (1u << 8)
#define UARTE_INT_ERROR (1u << 9)
#define UARTE0_IRQN 2u

/* Cortex-M4 (ARMv7-M ARM B3.2, B3.4). */
#define NVIC_ICER(n) REG32(0xE000E180u + 4u * (n))
#define SCB_CPACR REG32(0xE000ED88u)

/* Where the errata workarounds write (Nordic errata sheets; MDK SystemInit). */
#define ERRATA_12_COMP REG32(0x40013540u)
#define ERRATA_16_RAM REG32(0x4007C074u)
#define ERRATA_31_CLOCK REG32(0x4000053Cu)
#define ERRATA_37_RADIO REG32(0x400005A0u)
#define ERRATA_57_NFCT(o) REG32(0x40005000u + (o))
#define ERRATA_98_NFCT REG32(0x4000568Cu)
#define ERRATA_108_RAM REG32(0x40000EE4u)
#define ERRATA_120_QSPI REG32(0x40029640u)
#define ERRATA_182_RADIO REG32(0x4000173Cu)
#define ERRATA_171_187_USBD_UNLOCK REG32(0x4006EC00u)
#define ERRATA_171_USBD REG32(0x4006EC14u)
#define ERRATA_187_USBD REG32(0x4006ED14u)
#define ERRATA_166_USBD(o) REG32(0x40027800u + (o))

void SystemInit(void);

#endif
