/**
 * Process isolation beyond single faults, on mps2-an386 under QEMU and on the emulated
 * nRF52840-DK (same assertions). One boot runs eight processes at once, the kernel's maximum:
 * hello, rng, timer, badcalls and a short fuzzer run beside three apps that push the kernel
 * (kernel/apps/isolation):
 *
 * - `stress`: grant exhaustion (commands that need per-process kernel state fail with NOMEM
 *   while the app break sits on the grant region, and work once it is back), overlapping
 *   allows held at once by two drivers (each stays in its own range, both come back exactly),
 *   a buffer left lent above a lowered break (nothing written), and an upcall flood (30 alarms
 *   while not yielding: 10 upcalls run, 20 dropped and counted by `process stress`);
 * - `upcall_fault`: a fault inside an upcall, reported with the pc inside the handler;
 * - `usage_fault`: usage faults (UDF, Thumb bit cleared, unaligned LDRD), then a system call's
 *   return through a corrupted frame (its IPSR byte set by the yield flag: survived) and
 *   through a stack below the break (reported as a fault).
 *
 * A second boot offers nine apps: the ninth is refused, the eight others load.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bootBoard,
  builtTbf,
  composeImage,
  faultReports,
  fuzzerTbf,
  fuzzPlan,
  kernelImage,
  kernelPanics,
  linesWith,
  type QemuRun,
} from './qemu';

const EIGHT = [
  'hello',
  'rng',
  'timer',
  'fuzzer',
  'badcalls',
  'stress',
  'upcall_fault',
  'usage_fault',
] as const;

for (const board of ['mps2-an386', 'nrf52840dk']) {
  describe(`eight processes at once (${board})`, () => {
    let q: QemuRun;
    const plan = fuzzPlan(3000);

    beforeAll(async () => {
      console.log(`isolation (${board}): fuzzer run to replay: ${plan.replay}`);
      const img = kernelImage(board);
      const tbfs = EIGHT.map((n) =>
        n === 'fuzzer' ? fuzzerTbf(img.manifest, plan) : builtTbf(img.manifest, n),
      );
      const appsBin = await composeImage(img.manifest, tbfs, `isolation-${board}`);
      q = bootBoard(board, { kernelElf: img.kernelElf, appsBin });
      await q.waitFor(/8 process\(es\) loaded/, 30_000);
      await q.waitFor(/stress: done/, 60_000);
      await q.waitFor(/process 'upcall_fault' stopped after 3 restarts[^\n]*\n/, 60_000);
      await q.waitFor(/process 'usage_fault' stopped after 3 restarts[^\n]*\n/, 60_000);
      await q.waitFor(/timer: done/, 60_000);
      await q.waitFor(/fuzz: done[^\n]*\n/, 60_000);
    });

    afterAll(async () => {
      await q?.stop();
    });

    it('loads eight processes and runs them side by side to their ends', async () => {
      const out = q.output();
      for (const name of EIGHT) expect(out).toMatch(new RegExp(`loaded process '${name}'`));
      expect(out).toMatch(/hello: Hello, World!/);
      expect(out).toMatch(/rng: round 3 got 8 bytes/);
      expect(out).toMatch(/badcalls: done/);
      expect(out, plan.replay).toMatch(/fuzz: done \d+ syscalls, 0 violations/);
      for (const name of ['hello', 'rng', 'timer', 'fuzzer', 'badcalls'])
        await q.waitFor(new RegExp(`process '${name}' exited with code 0`), 30_000);
      const from = q.output().length;
      await q.type('list\r');
      const table = await q.waitFor(/ PID[^\n]*\n((?:[^\n]*\n){8})/, 30_000, from);
      const rows = table[1]!.trim().split('\n');
      const state = (name: string): string | undefined =>
        rows
          .find((r) => r.trim().split(/\s+/)[2] === name)
          ?.trim()
          .split(/\s+/)
          .at(-1);
      expect(rows).toHaveLength(8);
      for (const name of ['hello', 'rng', 'timer', 'fuzzer', 'badcalls'])
        expect(state(name), rows.join('\n')).toBe('Terminated');
      expect(state('stress')).toBe('Yielded');
      expect(state('upcall_fault')).toBe('Faulted');
      expect(state('usage_fault')).toBe('Faulted');
      expect(kernelPanics(q.output())).toEqual([]);
      expect(linesWith(q.output(), 'ERROR')).toEqual([]);
      // Only the two apps that fault on purpose did.
      expect(new Set(faultReports(q.output()).map((r) => r.name))).toEqual(
        new Set(['upcall_fault', 'usage_fault']),
      );
    });

    it('fails only the requests of a process whose grant memory is exhausted', () => {
      const out = q.output();
      expect(out).toMatch(
        /stress: grants: break raised to the grants at (0x[0-9a-f]+) \(OK, break now \1\): alarm NOMEM, rng NOMEM/,
      );
      expect(out).toMatch(
        /stress: grants: break back \(OK\): alarm OK; break into the grants: NOMEM/,
      );
    });

    it('holds overlapping allows of two drivers at once, each in its own range', () => {
      const out = q.output();
      // The console's part of the shared buffer, sent while the RNG filled the rest.
      expect(out).toMatch(/^stress: overlapped!$/m);
      expect(out).toMatch(
        /stress: allows: overlapping allows held; console OK, rng OK filled 40; returned exactly; outside bytes untouched/,
      );
      expect(out).toMatch(
        /stress: allows: buffer above the lowered break \(lent, OK\): rng OK filled 0; bytes untouched/,
      );
    });

    it('queues ten upcalls of a flood, drops the rest and counts them', async () => {
      expect(q.output()).toMatch(
        /stress: flood: 30 alarms fired while not yielding; 0 upcalls ran before yielding, 10 after/,
      );
      const from = q.output().length;
      await q.type('process stress\r');
      // Tock's process overview: "App: stress   -   [Yielded]", then its counters.
      const m = await q.waitFor(
        /stress\s+-\s+\[(\w+)\]\n Events Queued: (\d+)\s+Syscall Count: (\d+)\s+Dropped Upcall Count: (\d+)\n Restart Count: (\d+)/,
        30_000,
        from,
      );
      expect(m[2]).toBe('0');
      expect(m[4]).toBe('20');
      expect(m[5]).toBe('0');
    });

    it('reports a fault inside an upcall at the handler, and restarts only that process', () => {
      const out = q.output();
      const handler = Number(/upcall_fault: upcall handler at (0x[0-9a-f]+)/.exec(out)?.[1]);
      expect(handler).toBeGreaterThan(0);
      const reports = linesWith(out, /process fault: 'upcall_fault'/);
      expect(reports).toHaveLength(4);
      for (const r of reports)
        expect(r).toMatch(/memory protection violation \(data access\) at address 0x20000000/);
      const pcs = [
        ...out.matchAll(
          /process fault: 'upcall_fault'[^\n]*\n[^\n]*reason: [^\n]*pc (0x[0-9a-f]+)/g,
        ),
      ].map((m) => Number(m[1]));
      expect(pcs).toHaveLength(4);
      for (const pc of pcs) {
        expect(pc).toBeGreaterThanOrEqual(handler);
        expect(pc).toBeLessThan(handler + 0x40);
      }
      expect(linesWith(out, /process 'upcall_fault' restarted/)).toHaveLength(3);
    });

    it('reports usage faults and a return through a stack the process lost', () => {
      const out = q.output();
      const kinds = linesWith(out, /process fault: 'usage_fault'/).map((l) =>
        l
          .replace(/.*process fault: 'usage_fault'( \(pid \d+\))?: /, '')
          .replace(/ at address.*/, ''),
      );
      expect(kinds).toEqual([
        'undefined instruction',
        'invalid state',
        'unaligned access',
        'its stack pointer is outside its memory',
      ]);
      expect(out).toMatch(/usage_fault: run 2: an unaligned LDRD at (0x[0-9a-f]+)/);
      // The corrupted frames (IPSR set by the yield flag) were returned through cleanly.
      expect(out).toMatch(
        /usage_fault: run 3: 5 returns through a frame with IPSR set, none faulted/,
      );
    });
  });

  describe(`a ninth process (${board})`, () => {
    let q: QemuRun;
    afterAll(async () => {
      await q?.stop();
    });

    it('is refused by name while the eight before it load', async () => {
      const img = kernelImage(board);
      const nine = [
        'hello',
        'rng',
        'timer',
        'fault_kernel',
        'fault_stack',
        'peek',
        'fuzzer',
        'badcalls',
        'stress',
      ];
      const appsBin = await composeImage(
        img.manifest,
        nine.map((n) => builtTbf(img.manifest, n)),
        `nine-${board}`,
      );
      q = bootBoard(board, { kernelElf: img.kernelElf, appsBin });
      await q.waitFor(/process console ready/, 30_000);
      expect(q.output()).toMatch(
        /\[kernel\] app 'stress': no free process slot \(max 8\); not loaded\n\[kernel\] 8 process\(es\) loaded/,
      );
      for (const name of nine.slice(0, 8))
        expect(q.output()).toMatch(new RegExp(`loaded process '${name}'`));
    });
  });
}
