/**
 * The Flasher over OpenOCD and a debug probe: program an ELF, Intel HEX or raw binary into a
 * board's flash, verify it, reset into it, with progress and errors the IDE can act on.
 *
 * Each operation runs OpenOCD once with the board's configuration (openocd.ts) and a short
 * script of its own commands: `init`, `reset halt` (the flash loader needs a halted core),
 * `flash write_image erase`, `verify_image`, `reset run`, `shutdown`. Between them the script
 * echoes phase markers, so progress follows OpenOCD's own output ("wrote N bytes", "verified
 * N bytes") rather than guesses, and a failure is pinned to the phase it happened in. The image
 * is parsed first (emulator/session/image.ts), so an unreadable or empty file is refused before
 * any probe is touched, and the byte count gives the progress bar its total.
 *
 * Errors are FlashError values (emulator/debug/flasher.ts): OpenOCD missing or too old names
 * the Debian package; no probe, a busy probe, no permission (with the udev rule), protection
 * (with `nrf52_recover`), a chip that does not halt and a verify mismatch (naming the first
 * differing address) come from OpenOCD's output (classifyOpenocdFailure).
 *
 * @example
 *   const f = new OpenocdFlasher({ board: 'nrf52840dk', setup: openocdForBoard(b).value });
 *   const r = await f.program({ file: '/abs/image.hex', format: 'ihex' },
 *     { verify: true, reset: true, onProgress: (p) => bar.set(p) });
 */
import { readFile } from 'node:fs/promises';
import { ok, type Result } from '../../emulator/core/result';
import {
  flashError,
  type FlashError,
  type FlashImage,
  type FlashOptions,
  type FlashPhase,
  type FlashReport,
  type Flasher,
} from '../../emulator/debug/flasher';
import { BOARDS, findBoard } from '../../emulator/boards/registry';
import { parseImage } from '../../emulator/session/image';
import {
  classifyOpenocdFailure,
  findOpenocd,
  runOpenocd,
  tclWord,
  type OpenocdSetup,
} from './openocd';

export interface OpenocdFlasherOptions {
  /** Board registry name. */
  board: string;
  setup: OpenocdSetup;
  /** The executable (default: `openocd` on PATH). */
  openocd?: string;
  /** Longest one operation may take (default 120 s). */
  timeoutMs?: number;
  /**
   * The chip the board registry names for the board (`nRF52840`): before anything is written,
   * the chip's FICR INFO.PART is read and an image for another part is refused, naming both.
   */
  chip?: string;
}

/** Where an nRF52's FICR holds its part number (nRF52840 PS v1.7 §4.4.1.2 FICR, INFO.PART 0x100). */
const FICR_INFO_PART = 0x1000_0100;
const FICR_MARK = 'capsule-ficr:';

/** The FICR INFO.PART value of a registry chip name ('nRF52840' -> 0x52840), or null (not an nRF52). */
export function nrfPartOf(chip: string): number | null {
  const m = /^nRF(52\d{3})$/i.exec(chip.trim());
  return m ? parseInt(m[1]!, 16) : null;
}

/**
 * The registry's board (by chip) for an INFO.PART value, to name in a refusal; the part number
 * as the nRF name when no board has that chip.
 */
function partName(part: number): string {
  const chip = `nRF${part.toString(16)}`;
  const b = BOARDS.find((x) => x.chip.toLowerCase() === chip.toLowerCase());
  return b ? `${chip} (${b.label})` : chip;
}

/** The marker the scripts echo before each phase. */
const PHASE_MARK = 'capsule-phase:';

type ProgressOptions = Pick<FlashOptions, 'onProgress' | 'signal'>;

export class OpenocdFlasher implements Flasher {
  readonly kind = 'openocd';
  readonly board: string;

  constructor(private readonly options: OpenocdFlasherOptions) {
    this.board = options.board;
  }

  async program(
    image: FlashImage,
    options: FlashOptions,
  ): Promise<Result<FlashReport, FlashError>> {
    const started = Date.now();
    const parsed = await this.readImage(image);
    if (!parsed.ok) return parsed;
    const total = parsed.value;
    const file = imageArgs(image);
    const part = this.options.chip ? nrfPartOf(this.options.chip) : null;
    const script = [
      ...phase('connect'),
      'init',
      // Which chip answers, read over the system bus while it runs (nothing halted or written
      // yet): an image for another part is refused here and the board keeps running.
      ...(part === null
        ? []
        : [
            `set capsule_part [lindex [read_memory ${hex(FICR_INFO_PART)} 32 1] 0]`,
            `echo "${FICR_MARK} [format 0x%08x $capsule_part]"`,
            `if {$capsule_part != ${hex(part)}} { shutdown error }`,
          ]),
      'reset halt',
      ...phase('program'),
      `flash write_image erase ${file}`,
      // A failed verify leaves the core in OpenOCD's checksum routine unless something resumes
      // it before OpenOCD exits: reset into the image first (the mismatch is still reported).
      ...(options.verify
        ? [...phase('verify'), `if {[catch {verify_image ${file}} e]} { reset run; error $e }`]
        : []),
      ...(options.reset ? [...phase('reset'), 'reset run'] : []),
      ...phase('done'),
      'shutdown',
    ];
    const r = await this.run(script, total, options);
    if (!r.ok) {
      const seen = r.value?.ficrPart;
      if (part !== null && seen !== undefined && seen !== part) {
        const chip = this.options.chip!;
        const found = findBoard(this.board);
        const label = found.ok ? found.value.board.label : this.board;
        return flashError(
          'wrong-board',
          `${image.file} is built for the ${label} (${chip}), but the chip on ${this.options.setup.label} is an ${partName(seen)} (FICR INFO.PART ${hex(seen)}); nothing was written`,
          {
            fix: `choose the board that is attached (the chip is an ${partName(seen)}), build for it and flash that image`,
          },
        );
      }
      return r;
    }
    return ok({
      bytes: r.value.written ?? total,
      verified: options.verify,
      reset: options.reset,
      ms: Date.now() - started,
    });
  }

  async verify(
    image: FlashImage,
    options: ProgressOptions = {},
  ): Promise<Result<void, FlashError>> {
    const parsed = await this.readImage(image);
    if (!parsed.ok) return parsed;
    const script = [
      ...phase('connect'),
      'init',
      'halt',
      ...phase('verify'),
      // On a mismatch the core is resumed before the error ends OpenOCD (it would stay halted
      // in OpenOCD's checksum routine otherwise).
      `if {[catch {verify_image ${imageArgs(image)}} e]} { resume; error $e }`,
      'resume',
      ...phase('done'),
      'shutdown',
    ];
    const r = await this.run(script, parsed.value, options);
    return r.ok ? ok(undefined) : r;
  }

  async erase(options: ProgressOptions = {}): Promise<Result<void, FlashError>> {
    const script = [
      ...phase('connect'),
      'init',
      'reset halt',
      ...phase('erase'),
      'flash erase_sector 0 0 last',
      ...phase('done'),
      'shutdown',
    ];
    const r = await this.run(script, 0, options);
    return r.ok ? ok(undefined) : r;
  }

  /** Nothing is held between operations: each one runs OpenOCD and lets it go. */
  async close(): Promise<void> {}

  /** The image's byte count, or why it cannot be flashed. */
  private async readImage(image: FlashImage): Promise<Result<number, FlashError>> {
    if (image.format === 'tbf' || image.format === 'tab')
      return flashError(
        'bad-image',
        `${image.file}: a Tock app (${image.format.toUpperCase()}) is installed through the bootloader, not written to flash as an image`,
        { fix: 'flash the kernel image (image.hex) here, or install apps from the Boards panel' },
      );
    if (image.format === 'bin' && image.address === undefined)
      return flashError('bad-image', `${image.file}: a raw binary needs a load address`);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(image.file));
    } catch (e) {
      return flashError('bad-image', `cannot read ${image.file}: ${(e as Error).message}`);
    }
    const parsed = parseImage(bytes, {
      name: image.file,
      format: image.format,
      ...(image.format === 'bin' ? { address: image.address } : {}),
    });
    if (!parsed.ok) return flashError('bad-image', parsed.error);
    const total = parsed.value.segments.reduce((n, s) => n + s.data.length, 0);
    if (total === 0) return flashError('bad-image', `${image.file} holds no bytes to program`);
    return ok(total);
  }

  private async run(
    script: string[],
    total: number,
    options: ProgressOptions,
  ): Promise<{ ok: true; value: RunFacts } | { ok: false; error: FlashError; value?: RunFacts }> {
    const tool = await findOpenocd(this.options.openocd);
    if (!tool.ok) return tool;
    if (options.signal?.aborted) return flashError('aborted', 'flashing was cancelled');
    let current = 'connect' as FlashPhase | 'done';
    let written: number | undefined;
    let ficrPart: number | undefined;
    const report = (p: FlashPhase, done: number, message?: string): void =>
      options.onProgress?.({
        phase: p,
        done,
        total: p === 'program' || p === 'verify' ? total : 0,
        ...(message !== undefined ? { message } : {}),
      });
    const run = await runOpenocd(tool.value, this.options.setup, script, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {}),
      onLine: (line) => {
        if (line.startsWith(PHASE_MARK)) {
          current = line.slice(PHASE_MARK.length).trim() as FlashPhase | 'done';
          if (current !== 'done') report(current, 0);
          return;
        }
        if (current === 'done') return;
        if (line.startsWith(FICR_MARK)) {
          ficrPart = Number(line.slice(FICR_MARK.length).trim());
          return;
        }
        const wrote = /^wrote (\d+) bytes? from file/.exec(line);
        if (wrote) {
          written = Number(wrote[1]);
          report('program', total, line);
          return;
        }
        if (/^verified \d+ bytes|\*\* Verified OK \*\*/.test(line)) {
          report('verify', total, line);
          return;
        }
        if (line.startsWith('Error') || line.startsWith('Warn') || line.startsWith('**'))
          report(current, 0, line);
      },
    });
    if (!run.ok)
      return flashError('tool-missing', run.error, {
        fix: "install the Debian package 'openocd' (sudo apt-get install openocd)",
      });
    if (options.signal?.aborted)
      return flashError('aborted', 'flashing was cancelled; flash again to finish', {
        log: run.value.lines.slice(-30),
      });
    const finished = current === 'done' && run.value.code === 0;
    if (finished) return ok({ ...(written !== undefined ? { written } : {}) });
    // The chip's part, when it was read, goes back with the error (program() names it).
    const facts = ficrPart !== undefined ? { value: { ficrPart } } : {};
    const known = classifyOpenocdFailure(run.value.lines, this.options.setup);
    if (known) return { ok: false, error: known, ...facts };
    const errors = run.value.lines.filter((l) => l.startsWith('Error'));
    return {
      ...flashError(
        run.value.code === null ? 'timeout' : 'failed',
        `OpenOCD failed while ${describePhase(current)}${errors.length ? `: ${errors[errors.length - 1]!.replace(/^Error:\s*/, '')}` : ` (exit status ${run.value.code ?? 'killed'})`}`,
        { log: run.value.lines.slice(-30) },
      ),
      ...facts,
    };
  }
}

/** What a run saw besides its result: bytes written, the chip's INFO.PART when it was read. */
interface RunFacts {
  written?: number;
  ficrPart?: number;
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

function phase(p: FlashPhase | 'done'): string[] {
  return [`echo {${PHASE_MARK} ${p}}`];
}

function describePhase(p: FlashPhase | 'done'): string {
  switch (p) {
    case 'connect':
      return 'connecting to the board';
    case 'erase':
      return 'erasing';
    case 'program':
      return 'writing the flash';
    case 'verify':
      return 'verifying';
    case 'reset':
      return 'resetting the board';
    default:
      return 'finishing';
  }
}

/** `file [offset] type` for flash write_image / verify_image. */
function imageArgs(image: FlashImage): string {
  const file = tclWord(image.file);
  switch (image.format) {
    case 'elf':
      return `${file} 0 elf`;
    case 'ihex':
      return `${file} 0 ihex`;
    default:
      return `${file} 0x${(image.address ?? 0).toString(16)} bin`;
  }
}
