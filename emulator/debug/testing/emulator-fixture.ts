/**
 * The one way tests get an emulator debug target (and a GDB server on it): built from assembly
 * source or loaded from image files, every target and server closed after each test.
 *
 * Why: the emulator target's, the time-travel and the GDB server tests each made their session,
 * target and server their own way (and closed them their own way); one fixture keeps them
 * alike, so a change in how a target is made is made once.
 *
 * @example
 *   const targets = emulatorTargets(); // at the top of the test file
 *   it('stops', async () => {
 *     const { t, symbol } = targets.fromSource('loop', SOURCE);
 *     const server = targets.serve(t);
 *   });
 */
import { afterEach } from 'vitest';
import { buildElf } from '../../../tests/programs/elf';
import { GdbServer, type GdbServerOptions } from '../../gdb/server';
import { nodeScheduler } from '../../node/scheduler';
import type { MachineName } from '../../machines/definitions';
import { createSession, type ImageFile } from '../../session/session';
import { EmulatorTarget, type EmulatorTargetOptions } from '../emulator-target';
import type { TargetEvent } from '../target';
import { unwrap } from './target-helpers';

/** Target options a test may set (the fixture gives the session and the Node scheduler). */
export type FixtureTargetOptions = Partial<Omit<EmulatorTargetOptions, 'session' | 'scheduler'>>;

export interface FixtureTarget {
  t: EmulatorTarget;
  /** A symbol's address (Thumb bit clear); throws for an unknown name or an image without. */
  symbol: (name: string) => number;
  /** Every event the target emitted, in order. */
  events: TargetEvent[];
}

/** nRF52840 images at 0: the vector table (SP 0x20001000, reset at 0x9) and then code. */
export const NRF_IMAGES = {
  /** `b .` at 0x8. */
  idle: Uint8Array.of(0, 0x10, 0, 0x20, 9, 0, 0, 0, 0xfe, 0xe7),
  /** A counting loop at 0x8: adds r1, #1; b 0x8. */
  counting: Uint8Array.of(0, 0x10, 0, 0x20, 9, 0, 0, 0, 0x01, 0x31, 0xfd, 0xe7),
} as const;

export interface EmulatorTargets {
  /** Assembles `source` (GNU as, cached by name) and loads it on `machine` (mps2-an386). */
  fromSource(
    name: string,
    source: string,
    options?: FixtureTargetOptions & { machine?: MachineName },
  ): FixtureTarget;
  /** Loads image files on `machine` (no symbols). */
  fromFiles(
    machine: MachineName,
    files: ImageFile[],
    options?: FixtureTargetOptions,
  ): FixtureTarget;
  /** A GDB server on `t` (talk to it over an in-memory wire: testing/wire.ts). */
  serve(t: EmulatorTarget, options?: GdbServerOptions): GdbServer;
}

/**
 * Targets for the tests of one file: call at the top level (or in a describe); what it made
 * is closed after each test, servers before their targets.
 */
export function emulatorTargets(): EmulatorTargets {
  const open: { close(): unknown }[] = [];
  const built = new Map<string, ReturnType<typeof buildElf>>();
  afterEach(async () => {
    for (const x of open.splice(0).reverse()) await x.close();
  });

  const target = (
    machine: MachineName,
    files: ImageFile[],
    options: FixtureTargetOptions,
    symbol: (name: string) => number,
  ): FixtureTarget => {
    const session = unwrap(createSession({ machine }));
    unwrap(session.loadFiles(files));
    const t = new EmulatorTarget({ ...options, session, scheduler: nodeScheduler });
    open.push(t);
    const events: TargetEvent[] = [];
    t.onEvent((e) => events.push(e));
    return { t, symbol, events };
  };

  return {
    fromSource(name, source, options = {}) {
      const { machine = 'mps2-an386', ...rest } = options;
      const key = `${name}\n${source}`;
      const elf = built.get(key) ?? buildElf(name, source);
      built.set(key, elf);
      return target(
        machine,
        [{ name: `${name}.elf`, bytes: elf.bytes, format: 'elf' }],
        rest,
        elf.symbol,
      );
    },
    fromFiles(machine, files, options = {}) {
      return target(machine, files, options, (name) => {
        throw new Error(`${files.map((f) => f.name).join(', ')} has no symbols (asked: ${name})`);
      });
    },
    serve(t, options = {}) {
      const server = new GdbServer(t, options);
      open.push(server);
      return server;
    },
  };
}
