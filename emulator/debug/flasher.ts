/**
 * Flasher: the one interface for putting an image onto a board, whatever carries it.
 *
 * Flashing is not debugging (architecture note): a board is programmed through OpenOCD and a
 * debug probe (main/host/openocd-flasher.ts), or through Tock's serial bootloader over the
 * board's UART (the bootloader flasher), and both answer the same calls so the IDE's Flash
 * command, its progress bar and its error messages are written once. The interface is pure
 * (no Node): implementations live where their transport may run (main/host for child processes
 * and serial ports), tests drive them through it.
 *
 * Rules every implementation keeps:
 * - Failures are values (`Result<_, FlashError>`), never exceptions; `FlashError.kind` lets the
 *   UI offer the matching fix (`fix` is the sentence to show, `command` a command that applies
 *   it, such as OpenOCD's `nrf52_recover`).
 * - Progress is reported through `onProgress` in phases; `done`/`total` are bytes where the
 *   transport knows them, else 0/0 (an indeterminate bar).
 * - An aborted (`signal`) or interrupted operation leaves the board in a state that the next
 *   `program` repairs: `verify` detects a partly written image.
 *
 * @example
 *   const r = await flasher.program(
 *     { file: 'target/images/nrf52840dk/image.hex', format: 'ihex' },
 *     { verify: true, reset: true, onProgress: (p) => bar.set(p) },
 *   );
 *   if (!r.ok) show(r.error.message, r.error.fix);
 */
import type { Result } from '../core/result';

/** What to write: a file the flasher reads itself (OpenOCD and the bootloader both take files). */
export interface FlashImage {
  /** Absolute path of the image. */
  file: string;
  /** `ihex` and `elf` carry their addresses; `bin` needs `address`; `tbf`/`tab` are Tock apps. */
  format: 'ihex' | 'elf' | 'bin' | 'tbf' | 'tab';
  /** Load address of a `bin` image. */
  address?: number;
}

export type FlashPhase = 'connect' | 'erase' | 'program' | 'verify' | 'reset' | 'recover';

export interface FlashProgress {
  phase: FlashPhase;
  /** Bytes done in this phase (0 when unknown). */
  done: number;
  /** Bytes in this phase (0 when unknown). */
  total: number;
  /** A line for the log (the tool's own words where it has them). */
  message?: string;
}

export interface FlashOptions {
  /** Read the image back and compare after writing. */
  verify: boolean;
  /** Reset the board into the new image afterwards. */
  reset: boolean;
  onProgress?(p: FlashProgress): void;
  signal?: AbortSignal;
}

/** Why an operation failed, for the UI to offer the matching fix. */
export type FlashErrorKind =
  | 'tool-missing' // the flashing tool (openocd) is not installed or too old
  | 'no-probe' // no debug probe / board found
  | 'probe-busy' // the probe or port is held by another program
  | 'permission' // the OS refused access to the device (udev rules)
  | 'protected' // access port protection (APPROTECT) is on
  | 'wrong-board' // the image was built for another board than the one attached
  | 'verify-failed' // the board's contents differ from the image
  | 'timeout' // the board or tool stopped answering
  | 'link-lost' // the port or probe went away midway (unplugged); run again once it is back
  | 'refused' // refused before anything was written (memory the transport never writes)
  | 'aborted' // the caller's signal
  | 'bad-image' // the image cannot be read
  | 'failed'; // anything else (message says what)

export interface FlashError {
  kind: FlashErrorKind;
  /** What happened, naming the problem. */
  message: string;
  /** What the person can do about it. */
  fix?: string;
  /** A command that applies the fix (shown as a button), e.g. `nrf52_recover`. */
  command?: string;
  /** The tool's last lines of output, for the log. */
  log?: string[];
}

export interface FlashReport {
  /** Bytes written. */
  bytes: number;
  /** True when the image was read back and matched. */
  verified: boolean;
  /** True when the board was reset into the image. */
  reset: boolean;
  /** Wall time in milliseconds. */
  ms: number;
}

export interface Flasher {
  /** Which transport: 'openocd', 'tock-bootloader', ... */
  readonly kind: string;
  /** Board registry name the flasher was opened for. */
  readonly board: string;
  /** Erase what the image covers, write it, optionally verify and reset. */
  program(image: FlashImage, options: FlashOptions): Promise<Result<FlashReport, FlashError>>;
  /** Compare the board's contents with the image; `verify-failed` names the first difference. */
  verify(
    image: FlashImage,
    options?: Pick<FlashOptions, 'onProgress' | 'signal'>,
  ): Promise<Result<void, FlashError>>;
  /** Erase everything the transport may erase (all flash for a probe; all apps for a bootloader). */
  erase(options?: Pick<FlashOptions, 'onProgress' | 'signal'>): Promise<Result<void, FlashError>>;
  /** Release the probe or port. */
  close(): Promise<void>;
}

/** A FlashError value. */
export function flashError(
  kind: FlashErrorKind,
  message: string,
  extra: Omit<FlashError, 'kind' | 'message'> = {},
): { ok: false; error: FlashError } {
  return { ok: false, error: { kind, message, ...extra } };
}
