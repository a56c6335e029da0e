/*
 * system_init.c: chip start-up the way Nordic's MDK (system_nrf52840.c / system_nrf52833.c,
 * SystemInit) and operating systems built on it do it, written from the errata sheets: read the
 * part and revision codes from FICR, apply every errata workaround, enable the FPU. Like the
 * oldest MDK releases and like Tock's nRF52 start-up, it applies the workarounds without
 * checking the revision (they are harmless where an anomaly is fixed), except the QSPI one the
 * nRF52833 has no peripheral for. Each step names its errata entry.
 */
#include "nordic.h"

/* What the workarounds left behind, for the console to print. */
volatile uint32_t system_part;
volatile uint32_t system_errata16_readback;

static void usb_workarounds(void) {
  /* [187] USB cannot be enabled / [171] USBD might not reach its active state: the unlock
   * word, the magic values around enabling USBD, then lock again. */
  ERRATA_171_187_USBD_UNLOCK = 0x00009375u;
  ERRATA_187_USBD = 0x00000003u;
  if (ERRATA_171_187_USBD_UNLOCK == 0u) ERRATA_171_187_USBD_UNLOCK = 0x00009375u;
  ERRATA_171_USBD = 0x000000C0u;
  ERRATA_171_187_USBD_UNLOCK = 0x00009375u;
  /* [166] USBD: ISO double buffering not functional: re-split the ISO buffers. */
  ERRATA_166_USBD(0x000u) = 0x7E3u;
  ERRATA_166_USBD(0x004u) = 0x40u;
  ERRATA_171_USBD = 0u;
  ERRATA_187_USBD = 0u;
  ERRATA_171_187_USBD_UNLOCK = 0x00009375u;
}

void SystemInit(void) {
  uint32_t part = FICR_ERRATA_PART;
  system_part = part;
  /* [12] COMP: Reference ladder not correctly calibrated. */
  ERRATA_12_COMP = (FICR_TRIM_COMP & 0x00001F00u) >> 8;
  /* [16] System: RAM may be corrupt on wakeup from CPU IDLE. */
  ERRATA_16_RAM = 0xBAADF00Du;
  system_errata16_readback = ERRATA_16_RAM;
  /* [31] CLOCK: Calibration values are not correctly loaded from FICR at reset. */
  ERRATA_31_CLOCK = (FICR_TRIM_CLOCK & 0x0000E000u) >> 13;
  /* [36] CLOCK: Some registers are not reset when expected. */
  CLOCK_EVENTS_DONE = 0;
  CLOCK_EVENTS_CTTO = 0;
  CLOCK_CTIV = 0;
  /* [37] RADIO: Encryption engine is slow by default. */
  ERRATA_37_RADIO = 0x3u;
  /* [57] NFCT: NFC Modulation amplitude. */
  ERRATA_57_NFCT(0x610u) = 0x00000005u;
  ERRATA_57_NFCT(0x688u) = 0x00000001u;
  ERRATA_57_NFCT(0x618u) = 0x00000000u;
  ERRATA_57_NFCT(0x614u) = 0x0000003Fu;
  /* [66] TEMP: Linearity specification not met with default settings: copy A0..T4 from FICR. */
  for (uint32_t i = 0; i < 17u; i++) TEMP_COEFF(i) = FICR_TEMP(i);
  /* [98] NFCT: Not able to communicate with the peer. */
  ERRATA_98_NFCT = 0x00038148u;
  /* [103] CCM: Wrong reset value of CCM MAXPACKETSIZE. */
  CCM_MAXPACKETSIZE = 0xFBu;
  /* [108]/[115] RAM: RAM content cannot be trusted upon waking up from System ON Idle or System
   * OFF mode; [217] RAM calibration values not correctly loaded from FICR at reset. */
  ERRATA_108_RAM = FICR_TRIM_RAM & 0x0000004Fu;
  ERRATA_108_RAM = (ERRATA_108_RAM & 0xFFFFFFF0u) | (FICR_TRIM_RAM & 0x0000000Fu);
  ERRATA_108_RAM |= 0x0000000Fu;
  /* [120] QSPI: Data read or written is corrupted (the nRF52840 has the QSPI). */
  if (part == 0x08u) ERRATA_120_QSPI = 0x200u;
  /* [136] System: Bits in RESETREAS are set when they should not be. */
  if (POWER_RESETREAS & POWER_RESETREAS_RESETPIN) POWER_RESETREAS = ~POWER_RESETREAS_RESETPIN;
  /* [182] RADIO: Fixes for anomalies #102, #106, and #107 do not take effect. */
  ERRATA_182_RADIO |= (1u << 10);
  usb_workarounds();
  /* Hardened APPROTECT (nRF52840 revision code 5, nRF52833 revision code 1 and later): load
   * the firmware branch from UICR, as the MDK does at every boot. */
  if ((part == 0x08u && FICR_ERRATA_REVISION >= 5u) || (part == 0x0Du && FICR_ERRATA_REVISION >= 1u))
    APPROTECT_DISABLE = UICR_APPROTECT;
  /* FPU on (CP10, CP11 full access), as SystemInit does when the compiler uses the FPU. */
  SCB_CPACR |= (3u << 20) | (3u << 22);
  __asm volatile("dsb\n isb");
}
