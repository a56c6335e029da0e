/**
 * What the bootloader flasher needs to know per board, read from the board registry
 * (emulator/boards/boards.json `bootloader`, and the board's layout.json): how its Tock
 * bootloader is entered, where flash ends and apps start, and the names other Tock tools give it.
 *
 * Facts behind the registry's entries: Tock's nrf52840dk bootloader sits in the first 32 KiB
 * with the kernel at 0x8000 and apps at 0x40000 (tock-bootloader
 * boards/nrf52840dk-bootloader/layout.ld); tockloader calls the DK `nrf52dk`. The DK's serial
 * port is the J-Link OB's virtual COM port, which has no line to the nRF's reset, so the host
 * cannot enter the bootloader by itself: our bootloader stays when BUTTON1 is held through a
 * reset (kernel/boards/nrf52840dk-bootloader); Tock's own stays after a double reset
 * (tock-bootloader boards/nrf52840dk-bootloader/src/main.rs). The micro:bit v2's Tock bootloader stays when
 * button A is held during reset (tock-bootloader boards/microbit_v2-bootloader/README.md), with
 * the same layout.
 *
 * @example
 *   const b = bootloaderBoard('nrf52840dk'); // { entry: { methods, manual }, flashEnd, appsStart }
 */
import { BOARDS, findBoard } from '../../../emulator/boards/registry';
import type { BootloaderEntry } from './client';

export interface BootloaderBoard {
  /** The registry's name. */
  name: string;
  /** For people: 'nRF52840-DK'. */
  label: string;
  /** The kernel/boards folder that builds the board with our bootloader, if we ship one. */
  build: string | null;
  entry: BootloaderEntry;
  /** The end of the flash apps may use (the end of the layout's app region). */
  flashEnd: number;
  appsStart: number;
  /** Names the board's bootloader may report in its `board` attribute besides ours. */
  aliases: readonly string[];
}

/** Boards with a Tock bootloader, by registry name, in registry order. */
export const BOOTLOADER_BOARD_NAMES: readonly string[] = BOARDS.filter((b) => b.bootloader).map(
  (b) => b.name,
);

/** The board's bootloader facts (by its name or a former one), or null for a board without one. */
export function bootloaderBoard(name: string): BootloaderBoard | null {
  const found = findBoard(name);
  if (!found.ok) return null;
  const b = found.value.board;
  if (!b.bootloader) return null;
  const [appsStart, appsSize] = b.layout.flash.apps;
  return {
    name: b.name,
    label: b.label,
    build: b.bootloader.build,
    entry: { methods: b.bootloader.entry, manual: b.bootloader.enter },
    flashEnd: appsStart + appsSize,
    appsStart,
    aliases: b.bootloader.names,
  };
}
