// Backtraces and locals from the DWARF reader against gdb-multiarch, at breakpoints in the
// mps2-an386 kernel and its apps running in QEMU (capsules, the scheduler, the chip's
// interrupt service, the exception handlers, and app code).
//
// The test drives QEMU's gdbstub itself, through the GDB remote DebugTarget (emulator/gdb, see
// stub.ts): it runs to a breakpoint,
// computes the backtrace and every frame's variables with the DWARF reader through the same
// connection (memory read over the stub, asynchronously, as a DebugTarget would), detaches
// without resuming, and lets GDB attach to the same halted machine and report the same things
// through its Python API (gdb-dump.py). Frames must match in order, PC, function, kind
// (inlined, exception entry), file and line; variables by name, parameter-ness and value
// (scalars, pointers, struct members, enum variants, arrays; "<optimized out>" as such).
//
// GDB treats registers a callee's CFI does not mention as unchanged in the caller; the reader's
// default is AAPCS (caller-saved registers unknown in outer frames), so this comparison runs the
// reader with policy 'same', GDB's rule; a unit test covers the default.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, realpathSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORE_REGISTER_NAMES, type CoreRegisterName } from '../../emulator/debug/target';
import {
  cachedMemory,
  DebugInfo,
  frameVariables,
  ProgramSet,
  stopRegistersFrom,
  structuralValue,
  valueEnv,
  functionName,
  type Frame,
} from '../../emulator/formats/dwarf';
import { Stub } from './stub';
import { bootQemu, type QemuRun } from '../kernel/qemu';
import { appsJson, kernelElf } from './images';
import { GdbSession, haveGdb, type GdbFrame } from './gdb-session';
import { freePort } from './ports';

interface Stop {
  program: string;
  function: string;
  hits: number;
}

/** Breakpoints by function (entry address), and how many stops to examine at each. */
const STOPS: Stop[] = [
  { program: 'kernel', function: 'capsules::console::Console::send_chunk', hits: 2 },
  { program: 'kernel', function: 'capsules::console::{impl#2}::command', hits: 1 },
  { program: 'kernel', function: 'capsules::console::{impl#1}::transmitted_buffer', hits: 2 },
  { program: 'kernel', function: 'capsules::alarm::{impl#1}::alarm', hits: 1 },
  { program: 'kernel', function: 'capsules::alarm::AlarmDriver::rearm', hits: 1 },
  { program: 'kernel', function: 'capsules::alarm::{impl#2}::command', hits: 1 },
  { program: 'kernel', function: 'capsules::virtual_alarm::{impl#2}::alarm', hits: 1 },
  { program: 'kernel', function: 'capsules::virtual_alarm::MuxAlarm::reprogram', hits: 1 },
  { program: 'kernel', function: 'capsules::rng::{impl#2}::command', hits: 1 },
  { program: 'kernel', function: 'capsules::rng::{impl#1}::randomness_available', hits: 1 },
  { program: 'kernel', function: 'capsules::rng::{impl#5}::handle_deferred_call', hits: 1 },
  { program: 'kernel', function: 'capsules::low_level_debug::{impl#1}::command', hits: 1 },
  { program: 'kernel', function: 'kernel::kernel::Kernel::schedule_upcall', hits: 1 },
  { program: 'kernel', function: 'kernel::kernel::Kernel::deliver_upcall', hits: 1 },
  { program: 'kernel', function: 'kernel::kernel::Kernel::start_process', hits: 1 },
  { program: 'kernel', function: 'kernel::kernel::Kernel::apply_fault_policy', hits: 1 },
  { program: 'kernel', function: 'kernel::kernel::Kernel::ret', hits: 1 },
  { program: 'kernel', function: 'cortexm::{impl#0}::switch_to_process', hits: 1 },
  { program: 'kernel', function: 'cortexm::{impl#0}::set_upcall', hits: 1 },
  { program: 'kernel', function: 'cortexm::systick::{impl#1}::start', hits: 1 },
  { program: 'kernel', function: 'mps2::{impl#1}::service_pending_interrupts', hits: 2 },
  { program: 'kernel', function: 'mps2::uart::{impl#2}::transmit_buffer', hits: 1 },
  { program: 'kernel', function: 'mps2::timer::CmsdkAlarm::program', hits: 1 },
  { program: 'kernel', function: 'cm_generic_isr', hits: 3 },
  { program: 'kernel', function: 'cm_systick_handler', hits: 1 },
  { program: 'kernel', function: 'cm_fault_handler', hits: 1 },
  { program: 'hello', function: 'hello::app_main', hits: 1 },
  { program: 'hello', function: 'capsule_rt::console::write_bytes', hits: 1 },
  { program: 'timer', function: 'timer::app_main', hits: 1 },
  { program: 'timer', function: 'capsule_rt::alarm::sleep_ms', hits: 2 },
  { program: 'rng', function: 'capsule_rt::rng::fill', hits: 1 },
];

const available = haveGdb();

describe.skipIf(!available && process.env.CI !== 'true')(
  'backtraces and locals equal gdb-multiarch on QEMU',
  () => {
    let qemu: QemuRun | undefined;
    let gdb: GdbSession | undefined;
    const results: { stop: string; frames: number; vars: number; mismatches: string[] }[] = [];

    beforeAll(() => {
      if (!available)
        throw new Error('gdb-multiarch is not installed (Debian package gdb-multiarch)');
    });
    afterAll(async () => {
      gdb?.close();
      await qemu?.stop();
    });

    it('matches at every breakpoint', async () => {
      const kernelPath = kernelElf('mps2-an386');
      const manifest = appsJson('mps2-an386');
      const kernel = DebugInfo.load(new Uint8Array(readFileSync(kernelPath)), { name: 'kernel' });
      if (!kernel.ok) throw new Error(kernel.error);
      const set = new ProgramSet([kernel.value]);
      for (const app of manifest.apps) {
        const r = set.addApp(new Uint8Array(readFileSync(app.elf)), app);
        if (!r.ok) throw new Error(r.error);
      }
      const byName = new Map(set.programs().map((p) => [p.name, p]));
      const pending = new Map<number, Stop & { left: number }>();
      for (const s of STOPS) {
        const p = byName.get(s.program)!;
        const f =
          p.allFunctions().find((x) => x.name === s.function) ??
          p.functionAt(symbolAddress(p, s.function));
        if (!f) throw new Error(`no function ${s.function} in ${s.program}`);
        pending.set(f.entry, { ...s, left: s.hits });
      }

      const port = await freePort();
      const image = manifest.apps.length
        ? `${kernelPath.replace(/kernel\.elf$/, '')}apps.bin`
        : undefined;
      qemu = bootQemu({
        kernelElf: kernelPath,
        ...(image ? { appsBin: image } : {}),
        extraArgs: ['-gdb', `tcp:127.0.0.1:${port}`, '-S'],
      });
      gdb = new GdbSession(
        kernelPath,
        manifest.apps.map((a) => a.elf),
      );

      const symbols = nmSymbols(kernelPath);
      let gdbDefects = 0;
      let interruptedChecked = 0;
      let client = await Stub.connect(port);
      const armAll = async (c: Stub): Promise<void> => {
        const r = await c.arm(pending.keys());
        if (!r.ok) throw new Error(r.error);
      };
      await armAll(client);
      const deadline = Date.now() + 80_000;
      const log = (line: string): void => {
        if (process.env.DWARF_ORACLE_LOG) appendFileSync(process.env.DWARF_ORACLE_LOG, `${line}\n`);
      };
      while (pending.size > 0 && Date.now() < deadline) {
        // Breakpoints that are never reached must not hang the run: interrupt at the deadline.
        const stop = await client.cont(deadline - Date.now());
        if (stop === 'closed') break;
        const regsMap = await client.registers();
        const pc = regsMap.pc!;
        const bp = pending.get(pc);
        if (!bp) {
          if (Date.now() >= deadline) break;
          throw new Error(
            `stopped at 0x${pc.toString(16)}, not at a breakpoint (${stop.cause.kind})`,
          );
        }
        log(`stop at ${bp.function} 0x${pc.toString(16)}`);
        // Memory through the DebugTarget, asynchronously, as the IDE reads it.
        const c = client;
        const mem = cachedMemory((a, n) => c.readMemory(a, n));
        const regs = stopRegistersFrom(regsMap);
        const bt = await set.backtrace(regs, mem, { policy: 'same' });
        const mine = await Promise.all(bt.frames.map((f) => describeFrame(set, f, mem)));
        // Hand the halted machine to GDB, then take it back.
        client.disconnect();
        const theirs = await gdb.dump('127.0.0.1', port);
        log(`  gdb: ${theirs.frames.length} frames`);
        let mismatches = compare(mine, theirs.frames);
        const tomb = tombstoned(set.programs()[0]!, theirs.frames[0]?.name ?? null);
        // GDB names a hand-written handler (no DWARF, no CFI) from the symbol table and stops
        // there: it has nothing to unwind with (the reader reads the prologue instead).
        const noCfi =
          theirs.frames.length === 1 &&
          theirs.frames[0]?.name === mine[0]?.name &&
          set.functionAt(pc)?.source !== 'dwarf';
        if (
          mine[0]?.name &&
          (tomb || noCfi) &&
          symbols.get(mine[0].name) !== undefined &&
          mismatches.length
        ) {
          // GDB cannot unwind hand-written exception handlers: it misnames them when a function
          // removed at link time keeps a DWARF range starting at address 0 that covers them (a
          // section exists at 0, the vector table, so GDB believes it), and otherwise it has no
          // CFI for them. The reader's frame 0 is checked against arm-none-eabi-nm instead, and
          // the code the exception interrupted against GDB by giving GDB the registers the
          // hardware stacked (restored afterwards).
          gdbDefects++;
          mismatches = [];
          const sym = symbols.get(mine[0].name)!;
          if (!(sym <= pc && pc < sym + 0x40))
            mismatches.push(`frame 0 ${mine[0].name} is not the nm symbol at 0x${pc.toString(16)}`);
          const exc = bt.frames[1];
          // The first frame past the exception that GDB can know (DWARF code, so not another
          // piece of hand-written assembly under the same stale range), at the start of its
          // physical frame. A caller frame is handed over at its return address - 2, inside the
          // call instruction, which is where both debuggers look it up (the reader at - 1).
          let k = 2;
          while (
            k < bt.frames.length &&
            (bt.frames[k]!.physical === bt.frames[k - 1]!.physical ||
              set.functionAt(bt.frames[k]!.pc)?.source !== 'dwarf')
          )
            k++;
          const handover = bt.frames[k];
          if (exc?.kind === 'exception' && bt.frames[2]?.exception?.stack === 'msp' && handover) {
            const c2 = await Stub.connect(port);
            const saved = Object.entries(regsMap);
            const r = handover.physical.regs;
            const delta = handover.physical.exactPc ? 0 : 2;
            for (let n = 0; n <= 15; n++) {
              const v = r.get(n);
              if (v !== undefined)
                await c2.write(CORE_REGISTER_NAMES[n]!, n === 15 ? v - delta : v);
            }
            c2.disconnect();
            const inner = await gdb.dump('127.0.0.1', port);
            const expected = mine
              .slice(k)
              .map((f, i) =>
                bt.frames[k + i]!.physical === handover.physical ? { ...f, pc: f.pc - delta } : f,
              );
            mismatches.push(
              ...compare(expected, inner.frames).map(
                (m) => `interrupted code from frame ${k}: ${m}`,
              ),
            );
            const c3 = await Stub.connect(port);
            for (const [name, v] of saved)
              if (CORE_REGISTER_NAMES.slice(0, 17).includes(name as CoreRegisterName))
                await c3.write(name as CoreRegisterName, v);
            c3.disconnect();
            interruptedChecked++;
            results.push({
              stop: `(code interrupted by ${mine[0].name}, from frame ${k})`,
              frames: inner.frames.length,
              vars: inner.frames.reduce((n, f) => n + f.vars.length, 0),
              mismatches: [],
            });
          } else if (exc?.kind === 'exception') {
            // PSP: QEMU 7.2's gdbstub does not expose MSP/PSP, so neither tool can find the
            // process's stacked frame; the reader must say so rather than guess.
            if (!/PSP/.test(bt.stopReason))
              mismatches.push(`expected the walk to stop for want of PSP, got: ${bt.stopReason}`);
          } else
            mismatches.push(
              `frame 1 is not an exception entry: ${JSON.stringify(mine[1] ?? null)}`,
            );
        }
        if (mismatches.length)
          mismatches.push(`gdb printed:\n${theirs.text}`, `reader stop reason: ${bt.stopReason}`);
        results.push({
          stop: `${bp.program} ${bp.function} (pc 0x${pc.toString(16)})`,
          frames: theirs.frames.length,
          vars: theirs.frames.reduce((n, f) => n + f.vars.length, 0),
          mismatches,
        });
        client = await Stub.connect(port);
        // gdb's attach cleared the stub's breakpoints; step off this one and arm the rest.
        bp.left--;
        if (bp.left <= 0) pending.delete(pc);
        await client.step();
        await armAll(client);
      }
      client.disconnect();
      const frames = results.reduce((n, r) => n + r.frames, 0);
      const vars = results.reduce((n, r) => n + r.vars, 0);
      const bad = results.filter((r) => r.mismatches.length > 0);

      console.log(
        `gdb-multiarch comparison: ${results.length} stops, ${frames} frames, ${vars} variables; ` +
          `mismatches: ${bad.length}; handler stops GDB misnames: ${gdbDefects} (interrupted code compared: ${interruptedChecked})${pending.size ? `; never reached: ${[...pending.values()].map((p) => p.function).join(', ')}` : ''}`,
      );
      expect(bad.map((r) => `${r.stop}:\n${r.mismatches.join('\n')}`)).toEqual([]);
      expect(results.length).toBeGreaterThanOrEqual(20);
      const programs = new Set(results.map((r) => r.stop.split(' ')[0]));
      expect([...programs].sort()).toEqual(expect.arrayContaining(['hello', 'kernel', 'timer']));
    }, 110_000);
  },
);

/** Function symbols of an ELF by name, from arm-none-eabi-nm (an independent symbol reader). */
function nmSymbols(elf: string): Map<string, number> {
  const r = spawnSync('arm-none-eabi-nm', [elf], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`arm-none-eabi-nm failed: ${r.stderr}`);
  const out = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    const m = /^([0-9a-f]{8}) [Tt] (\S+)$/.exec(line);
    if (m) out.set(m[2]!, parseInt(m[1]!, 16) & ~1);
  }
  return out;
}

/** True when `name` is a DWARF function of `info` whose only code range starts at address 0. */
function tombstoned(info: DebugInfo, name: string | null): boolean {
  if (!name) return false;
  for (const u of info.units)
    for (const d of u.allDies())
      if (d.tag === 0x2e && d.lowHigh()?.[0] === 0 && functionName(d) === name) return true;
  return false;
}

function symbolAddress(p: DebugInfo, name: string): number {
  const s = p.elf.symbols.find((x) => x.name === name && x.type === 'func');
  return s ? p.toRuntime(s.value & ~1) : 0;
}

/** GDB shows a source file by its real path when it exists (symlinks resolved); so does this. */
function canonical(file: string): string {
  return existsSync(file) ? realpathSync(file) : file;
}

interface MineFrame {
  pc: number;
  name: string | null;
  type: number;
  file: string | null;
  line: number;
  vars: { name: string; arg: boolean; value: unknown }[];
}

async function describeFrame(
  set: ProgramSet,
  f: Frame,
  mem: ReturnType<typeof cachedMemory>,
): Promise<MineFrame> {
  const env = valueEnv(set, mem);
  const vars = await frameVariables(set, f, mem, { uncoveredPieces: 'zero' });
  return {
    pc: f.pc,
    name: f.kind === 'exception' ? null : (f.function ?? null),
    type: f.kind === 'inlined' ? 2 : f.kind === 'exception' ? 4 : 0,
    file: f.file ? canonical(f.file) : null,
    line: f.line ?? 0,
    vars: await Promise.all(
      vars.map(async (v) => ({
        name: v.name,
        arg: v.isParameter,
        value: await structuralValue(env, v.value, 4, 16, {
          enums: 'allOutsideMemory',
          partialAsOptimizedOut: true,
        }),
      })),
    ),
  };
}

function compare(mine: MineFrame[], theirs: GdbFrame[]): string[] {
  const out: string[] = [];
  const n = Math.max(mine.length, theirs.length);
  for (let i = 0; i < n; i++) {
    const a = mine[i];
    const b = theirs[i];
    if (!a || !b) {
      out.push(
        `frame ${i}: ${a ? 'only the reader has it' : 'only gdb has it'}: ${JSON.stringify(a ?? { ...b, vars: undefined })}`,
      );
      continue;
    }
    const head = (f: {
      pc: number;
      name: string | null;
      type: number;
      file: string | null;
      line: number;
    }): string => JSON.stringify([f.pc, f.name, f.type, f.file, f.line]);
    if (head(a) !== head(b)) out.push(`frame ${i}: ${head(a)} != gdb ${head(b)}`);
    const va = a.vars.map((v) => JSON.stringify([v.name, v.arg, v.value])).sort();
    const vb = b.vars.map((v) => JSON.stringify([v.name, v.arg, v.value])).sort();
    const onlyMine = va.filter((x) => !vb.includes(x));
    const onlyGdb = vb.filter((x) => !va.includes(x));
    if (onlyMine.length || onlyGdb.length || va.length !== vb.length)
      out.push(
        `frame ${i} (${a.name}) variables: reader only ${onlyMine.join(' ')}; gdb only ${onlyGdb.join(' ')}`,
      );
  }
  return out;
}
