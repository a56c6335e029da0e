/**
 * The board registry: one place that says, per board, what the build, the emulator, the IDE
 * and the tests need to know about it.
 *
 * The facts live in `boards.json` beside this module (so the plain-JavaScript build scripts
 * read the same file, through scripts/boards.mjs): the board's name, spelled one way
 * everywhere (`microbit-v2`; older spellings are aliases that still work on command lines,
 * with a notice), the emulator machine, the chip, the SVD that names the chip's registers,
 * QEMU's machine where QEMU has one, and the OpenOCD configuration for a real board. The
 * memory layout comes from the bundled kernel's `boards/<name>/layout.json`, the file its
 * build links and packs apps with. Pure data and lookups: no Node, no I/O.
 *
 * @example
 *   const found = findBoard('microbit_v2');
 *   if (found.ok) { found.value.notice; // "board 'microbit_v2' is now called 'microbit-v2'"
 *     found.value.board.machine; }      // 'microbit-v2'
 */
import { err, ok, type Result } from '../core/result';
import registry from './boards.json';
import microbitV2Layout from '../../kernel/boards/microbit-v2/layout.json';
import mps2An386Layout from '../../kernel/boards/mps2-an386/layout.json';
import nrf52840dkLayout from '../../kernel/boards/nrf52840dk/layout.json';

/** `[start, size]` in bytes. */
export type Span = readonly [number, number];

/** Where the kernel and the apps go (a board's `layout.json`). */
export interface BoardLayout {
  flash: { kernel: Span; apps: Span };
  ram: { kernel: Span; apps: Span };
}

/** How OpenOCD reaches the board's chip: `openocd -f <interface> -c "transport select <transport>" -f <target>`. */
export interface OpenOcdConfig {
  interface: string;
  transport: 'swd' | 'jtag';
  target: string;
}

/**
 * The board's Tock serial bootloader: the kernel/boards folder that builds ours (null when we
 * ship none for it), what the host may try to enter it by itself, in order (`baud-1200`: open
 * the port at 1200 baud and close it; `dtr-rts`: pulse the control lines wired to reset), what a
 * person does when that is not enough, and the names other Tock tools give the board in the
 * bootloader's `board` attribute.
 */
export interface BootloaderConfig {
  build: string | null;
  entry: readonly ('baud-1200' | 'dtr-rts')[];
  enter: string;
  names: readonly string[];
}

export interface Board {
  /** The one spelling: kernel/boards/<name>, `--board <name>`, images in target/images/<name>. */
  name: string;
  /** Former spellings, accepted on command lines with a notice. */
  aliases: readonly string[];
  /** For people: 'nRF52840-DK'. */
  label: string;
  /** The emulator machine that models the board. */
  machine: string;
  chip: string;
  /** Path of the chip's SVD from the repository root, or null when there is none. */
  svd: string | null;
  /** qemu-system-arm's `-M` for the board, or null when QEMU does not model it. */
  qemuMachine: string | null;
  /** How to reach a real board with OpenOCD, or null when there is no real board. */
  openocd: OpenOcdConfig | null;
  /** The Tock serial bootloader, or null when the board has none. */
  bootloader: BootloaderConfig | null;
  /** The bundled kernel's layout for the board. */
  layout: BoardLayout;
}

const LAYOUTS: Record<string, BoardLayout> = {
  'mps2-an386': mps2An386Layout as unknown as BoardLayout,
  nrf52840dk: nrf52840dkLayout as unknown as BoardLayout,
  'microbit-v2': microbitV2Layout as unknown as BoardLayout,
};

export const BOARDS: readonly Board[] = registry.boards.map((b) => {
  const layout = LAYOUTS[b.name];
  if (layout === undefined) throw new Error(`board registry: no layout.json for ${b.name}`);
  return {
    ...b,
    openocd: b.openocd as OpenOcdConfig | null,
    bootloader: b.bootloader as BootloaderConfig | null,
    layout,
  };
});

/** Board names, in registry order. */
export const BOARD_NAMES: readonly string[] = BOARDS.map((b) => b.name);

/**
 * The board called `name`, or known formerly as `name` (then `notice` says what it is called
 * now, one line for a command line to print). Unknown names are an error listing the boards.
 */
export function findBoard(name: string): Result<{ board: Board; notice?: string }> {
  const exact = BOARDS.find((b) => b.name === name);
  if (exact) return ok({ board: exact });
  const old = BOARDS.find((b) => b.aliases.includes(name));
  if (old)
    return ok({
      board: old,
      notice: `board '${name}' is now called '${old.name}' (the old name still works)`,
    });
  return err(`unknown board '${name}' (boards: ${BOARD_NAMES.join(', ')})`);
}

/** The board an emulator machine models (machines and boards correspond one to one today). */
export function boardOfMachine(machine: string): Board | undefined {
  return BOARDS.find((b) => b.machine === machine);
}
