/**
 * What the bootloader flasher needs to know per board: how its Tock bootloader is entered,
 * where flash ends and apps start, and the names other Tock tools give it.
 *
 * Facts: Tock's nrf52840dk bootloader sits in the first 32 KiB with the kernel at 0x8000 and
 * apps at 0x40000 (tock-bootloader boards/nrf52840dk-bootloader/layout.ld); tockloader calls the
 * DK `nrf52dk`. The DK's serial port is the J-Link OB's virtual COM port, which has no line to
 * the nRF's reset, so the host cannot enter the bootloader by itself: our bootloader stays
 * when BUTTON1 is held through a reset (kernel/boards/nrf52840dk-bootloader). The micro:bit v2's
 * Tock bootloader stays when button A is held during reset (tock-bootloader
 * boards/microbit_v2-bootloader/README.md), with the same layout.
 *
 * @example
 *   const b = bootloaderBoard('nrf52840dk'); // { entry: { methods, manual }, flashEnd, appsStart }
 */
import type { BootloaderEntry } from './client';

export interface BootloaderBoard {
  entry: BootloaderEntry;
  flashEnd: number;
  appsStart: number;
  /** Names the board's bootloader may report in its `board` attribute besides ours. */
  aliases: readonly string[];
}

const BOARDS: Readonly<Record<string, BootloaderBoard>> = {
  nrf52840dk: {
    entry: {
      methods: ['baud-1200', 'dtr-rts'],
      manual:
        'put the nRF52840-DK into its bootloader: hold BUTTON1 down, press and release RESET, then release BUTTON1 (LED1 lights while the bootloader runs)',
    },
    flashEnd: 0x10_0000,
    appsStart: 0x4_0000,
    aliases: ['nrf52dk'],
  },
  'microbit-v2': {
    entry: {
      methods: ['baud-1200', 'dtr-rts'],
      manual:
        'put the micro:bit v2 into the Tock bootloader: hold button A down while you press and release the reset button on the back',
    },
    flashEnd: 0x8_0000,
    appsStart: 0x4_0000,
    aliases: ['microbit_v2'],
  },
};

/** Boards with a Tock bootloader, by registry name. */
export const BOOTLOADER_BOARD_NAMES: readonly string[] = Object.keys(BOARDS);

/** The board's bootloader facts, or null for a board without a Tock bootloader. */
export function bootloaderBoard(name: string): BootloaderBoard | null {
  return BOARDS[name] ?? BOARDS[name.replace('_', '-')] ?? null;
}
