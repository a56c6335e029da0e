/*
 * crt0.c: the relocation step of the position-independent app's start (see crt0.S).
 *
 * The app is linked with its flash at PIC_FLASH_BASE and its RAM at 0, and runs wherever the
 * kernel put it: flash at `app_start` (the binary's start, r0 at entry) and RAM at `ram_start`
 * (r1). crt0_relocate copies the GOT and .data from their flash images to RAM and fixes the
 * addresses they hold: a GOT entry is always an address, at or above PIC_FLASH_BASE for code and
 * read-only data (moved by app_start - PIC_FLASH_BASE) and below it for RAM (moved by
 * ram_start); pointers stored in .data are found through the relocation table the packer
 * (emulator/formats/elf2tbf.ts, pic mode) appends right after the flash image: a count, then the
 * RAM offset of each word an R_ARM_ABS32 relocation targets. Then .bss is cleared.
 * This function runs before r9 (the GOT pointer) is set, so it reads no global: everything
 * comes through its arguments and the layout table crt0.S passes.
 */
#include <stdint.h>

#define PIC_FLASH_BASE 0x80000000u

struct crt0_layout {
  uint32_t got_start, got_end, got_load;
  uint32_t data_start, data_end, data_load;
  uint32_t bss_start, bss_end;
  uint32_t flash_end;
};

static uint32_t relocate(uint32_t word, uint32_t app_start, uint32_t ram_start) {
  return word >= PIC_FLASH_BASE ? word - PIC_FLASH_BASE + app_start : word + ram_start;
}

void crt0_relocate(const struct crt0_layout *l, uint32_t app_start, uint32_t ram_start) {
  volatile uint32_t *ram = (volatile uint32_t *)ram_start;
  const volatile uint32_t *flash = (const volatile uint32_t *)app_start;
  uint32_t i;
  for (i = l->got_start; i < l->got_end; i += 4)
    ram[i / 4] = relocate(flash[(l->got_load - PIC_FLASH_BASE + i - l->got_start) / 4], app_start, ram_start);
  for (i = l->data_start; i < l->data_end; i += 4)
    ram[i / 4] = flash[(l->data_load - PIC_FLASH_BASE + i - l->data_start) / 4];
  for (i = l->bss_start; i < l->bss_end; i += 4) ram[i / 4] = 0;
  const volatile uint32_t *table = flash + (l->flash_end - PIC_FLASH_BASE + 3) / 4;
  uint32_t count = table[0];
  for (i = 0; i < count; i++) {
    uint32_t at = table[1 + i];
    ram[at / 4] = relocate(ram[at / 4], app_start, ram_start);
  }
}
