/**
 * The host's hardware service: the debug probes plugged in, and flashing a built image into a
 * board through OpenOCD, for the renderer (contract services `probes` and `flash`).
 *
 * Flashing takes a project-relative image (the build's image.hex or kernel ELF), the board's
 * registry entry for its OpenOCD configuration, and optionally the serial number of the probe
 * to use (two probes plugged in: the user chooses, and OpenOCD is told `adapter serial`). For
 * the emulated board the renderer passes the remote_bitbang port of the emulator it started
 * (`npm run emulator -- --remote-bitbang PORT`), and resources/openocd/emulated-nrf52.cfg is
 * used instead of the probe. Progress goes out as `flash.progress` events; a failure is a
 * HostError whose message and fix come from the FlashError (openocd.ts classifies OpenOCD's
 * output), with the recover command named in the fix when one applies. One flash at a time
 * per host: a second is refused while the first runs (a probe takes one OpenOCD).
 *
 * @example
 *   const hw = new HardwareService(projectRoot, resourcesDir, emit);
 *   await hw.probes();                      // { probes: [...], note? }
 *   await hw.flash({ board: 'nrf52840dk', image: 'target/.../image.hex' }, signal);
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { findBoard } from '../../emulator/boards/registry';
import type { FlashError, FlashImage } from '../../emulator/debug/flasher';
import type {
  FlashArgsShape,
  FlashResult,
  HostError,
  HostEvents,
  Result,
} from '../common/contract.js';
import { openocdForBoard, openocdForEmulator } from './openocd';
import { OpenocdFlasher } from './openocd-flasher';
import { resolveInProject } from './paths.js';
import { listProbes, type ProbeList } from './probes';
import { err } from './project.js';

type Emit = <K extends keyof HostEvents>(name: K, payload: HostEvents[K]) => void;

/** A FlashError as the contract's HostError (the command, when there is one, named in the fix). */
export function hostErrorOf(e: FlashError): {
  ok: false;
  error: HostError;
} {
  const fix = [e.fix, e.command ? `command: ${e.command}` : undefined].filter(Boolean).join('\n');
  const code =
    e.kind === 'aborted' ? 'cancelled' : e.kind === 'bad-image' ? 'bad-request' : 'unavailable';
  return err(code, e.message, fix || undefined);
}

const FORMATS: Readonly<Record<string, FlashImage['format']>> = {
  '.hex': 'ihex',
  '.ihex': 'ihex',
  '.elf': 'elf',
  '': 'elf',
};

export class HardwareService {
  private flashing = false;
  private nextFlashId = 1;

  constructor(
    private readonly projectRoot: string,
    private readonly resourcesDir: string,
    private readonly emit: Emit,
    private readonly list: () => Promise<ProbeList> = () => listProbes(),
  ) {}

  async probes(): Promise<Result<ProbeList>> {
    return { ok: true, value: await this.list() };
  }

  /** The board's build output OpenOCD can program, project-relative: image.hex first, then kernel.elf. */
  async images(boardName: string): Promise<Result<string[]>> {
    const found = findBoard(boardName);
    if (!found.ok) return err('bad-request', found.error);
    const out: string[] = [];
    for (const f of ['image.hex', 'kernel.elf']) {
      const rel = `target/images/${found.value.board.name}/${f}`;
      const there = await access(path.join(this.projectRoot, rel)).then(
        () => true,
        () => false,
      );
      if (there) out.push(rel);
    }
    return { ok: true, value: out };
  }

  async flash(args: FlashArgsShape, signal: AbortSignal): Promise<Result<FlashResult>> {
    const found = findBoard(args.board);
    if (!found.ok) return err('bad-request', found.error);
    const board = found.value.board;
    const file = await resolveInProject(this.projectRoot, args.image);
    if (!file.ok) return file;
    const format = FORMATS[path.extname(file.value.absolute).toLowerCase()];
    if (format === undefined)
      return err(
        'bad-request',
        `${args.image}: flash an Intel HEX (.hex) or ELF image; the build writes image.hex`,
      );
    let setup;
    if (args.emulatorPort !== undefined) {
      setup = openocdForEmulator(args.emulatorPort, this.resourcesDir);
    } else {
      const s = openocdForBoard(board, args.probeSerial);
      if (!s.ok) return err('bad-request', s.error);
      setup = s.value;
    }
    if (this.flashing)
      return err(
        'conflict',
        'a board is being flashed already',
        'wait for it to finish (the probe takes one OpenOCD at a time)',
      );
    this.flashing = true;
    const flashId = this.nextFlashId++;
    try {
      const flasher = new OpenocdFlasher({ board: board.name, setup, chip: board.chip });
      const r = await flasher.program(
        { file: file.value.absolute, format },
        {
          verify: args.verify ?? true,
          reset: args.reset ?? true,
          signal,
          onProgress: (p) => this.emit('flash.progress', { flashId, board: board.name, ...p }),
        },
      );
      // Messages name the image as the person chose it (project-relative).
      if (!r.ok)
        return hostErrorOf({
          ...r.error,
          message: r.error.message.split(file.value.absolute).join(args.image),
        });
      return { ok: true, value: { flashId, board: board.name, ...r.value } };
    } finally {
      this.flashing = false;
    }
  }
}
