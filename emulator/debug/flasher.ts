/**
 * Flasher: the one seam for putting an image into a board's non-volatile memory.
 *
 * Flashing is not debugging (architecture note): a `DebugTarget` halts, steps and reads; a
 * `Flasher` erases, programs with progress, and verifies, and then lets go of the board. Two
 * implementations stand behind it: OpenOCD driving a probe (main/host/openocd*), and Tock's
 * serial bootloader (main/debug/tock-bootloader, over a serial port from main/host/serial.ts).
 * The IDE's flash commands, the Boards panel and the tests are written once against it.
 *
 * Rules every implementation keeps:
 * - Errors are values: every operation resolves to a `Result` whose error says what went wrong
 *   in words a person can act on (`message`, and `fix` when there is something to do), with a
 *   `kind` callers branch on (retry after `link-lost`, ask the user to enter the bootloader after
 *   `no-answer`).
 * - `program` refuses, before writing anything, a segment that would touch memory the flasher
 *   protects (a bootloader, the kernel when only apps may be written) or that lies outside the
 *   board's flash: kind `refused`, nothing written.
 * - With `verify` (the default) `program` checks what the board holds afterwards (read back or
 *   CRC) and reports a mismatch as `verify-failed`; an interrupted or failed program can simply
 *   be run again.
 * - Progress is reported as bytes done of bytes total per phase; `signal` aborts between steps.
 *
 * Pure TypeScript: no Node, no DOM.
 *
 * @example
 *   const r = await flasher.program([{ address: 0x40000, data: tbf }], {
 *     onProgress: (p) => bar.set(p.done / p.total, p.phase),
 *   });
 *   if (!r.ok) show(r.error.message, r.error.fix);
 */
import type { Result } from '../core/result';

/** Bytes to place at `address`. */
export interface FlashSegment {
  address: number;
  data: Uint8Array;
}

export type FlashPhase = 'connect' | 'erase' | 'write' | 'verify' | 'reset';

export interface FlashProgress {
  phase: FlashPhase;
  /** Bytes (or steps, for phases without bytes) done so far in this phase. */
  done: number;
  total: number;
  /** A short line for a log ("page 0x00041200 written"). */
  message?: string;
}

export interface FlashOptions {
  /** Check the written bytes afterwards (default true). */
  verify?: boolean;
  onProgress?: (progress: FlashProgress) => void;
  /** Aborting stops between two steps; the error kind is then `cancelled`. */
  signal?: AbortSignal;
}

export type FlashErrorKind =
  /** The board (probe, bootloader) did not answer; `fix` says how to make it answer. */
  | 'no-answer'
  /** The connection went away midway (port unplugged, probe gone); running again may work. */
  | 'link-lost'
  /** Refused before anything was written (protected or unknown memory, wrong board). */
  | 'refused'
  /** The board answered with an error or something unexpected. */
  | 'protocol'
  /** What the board holds afterwards differs from what was written. */
  | 'verify-failed'
  /** A tool the flasher needs is missing or too old. */
  | 'tool'
  | 'cancelled';

export interface FlashError {
  kind: FlashErrorKind;
  message: string;
  /** What the user can do about it. */
  fix?: string;
}

/** What a flasher is attached to, for titles and logs. */
export interface FlasherDescription {
  kind: 'openocd' | 'tock-bootloader';
  /** Board name from the board registry, if known. */
  board: string | null;
  /** For people: 'Tock bootloader on /dev/ttyACM0'. */
  label: string;
}

export interface FlashReport {
  /** Bytes written. */
  written: number;
  /** True when the written bytes were checked. */
  verified: boolean;
}

export interface Flasher {
  readonly description: FlasherDescription;
  /** Writes the segments (erasing what must be erased first), then verifies unless told not to. */
  program(
    segments: FlashSegment[],
    options?: FlashOptions,
  ): Promise<Result<FlashReport, FlashError>>;
  /** Checks that the board holds exactly these bytes. */
  verify(segments: FlashSegment[], options?: FlashOptions): Promise<Result<void, FlashError>>;
  /** Erases `[address, address + length)` (rounded out to whole erase units). */
  erase(address: number, length: number, options?: FlashOptions): Promise<Result<void, FlashError>>;
  /** Starts the program the board now holds (leaves a bootloader, resets through a probe). */
  reset?(): Promise<Result<void, FlashError>>;
  /** Releases the board (port, probe, process). Idempotent. */
  close(): Promise<void>;
}

/** A `FlashError` value. */
export function flashError(
  kind: FlashErrorKind,
  message: string,
  fix?: string,
): { ok: false; error: FlashError } {
  return { ok: false, error: fix === undefined ? { kind, message } : { kind, message, fix } };
}
