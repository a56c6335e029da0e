/**
 * The process console on the console UART: `list` answers with Tock's columns and one row per
 * process, `status` with the kernel's counters, both typed as a user would. The same checks run
 * on mps2-an386 under QEMU and on the nRF52840-DK and micro:bit v2 in Capsule Studio's emulator
 * (their UARTE0 through EasyDMA). Last, `fault <name>` faults that process under its fault policy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOARD_NAMES } from '../../emulator/boards/registry';
import { bootBoard, builtTbf, composeImage, kernelImage, kernelPanics, type QemuRun } from './qemu';

for (const board of BOARD_NAMES) {
  describe(`process console (${board})`, () => {
    let q: QemuRun;

    beforeAll(async () => {
      const img = kernelImage(board);
      const appsBin = await composeImage(
        img.manifest,
        ['hello', 'rng', 'timer'].map((n) => builtTbf(img.manifest, n)),
        `console-${board}`,
      );
      q = bootBoard(board, { kernelElf: img.kernelElf, appsBin });
      await q.waitFor(/hello: Hello, World!/);
      await q.waitFor(/timer: tick 1 at/, 30_000);
    });

    afterAll(async () => {
      await q?.stop();
    });

    it('answers list with one row per process under Tock columns', async () => {
      const from = q.output().length;
      await q.type('list\r');
      const header = await q.waitFor(
        /PID\s+ShortID\s+Name\s+Quanta\s+Syscalls\s+Restarts\s+Grants\s+State/,
        20_000,
        from,
      );
      const start = q.output().indexOf(header[0], from);
      await q.waitFor(/timer\s+\d+\s+\d+\s+\d+\s+\d+\/ *\d+\s+\w+\n/, 20_000, start);
      // Rows are the lines after the header that look like rows (an app may print in between).
      const rows = q
        .output()
        .slice(start)
        .split('\n')
        .filter((l) => /^\s*\d+\s+\S+\s+\S+\s+\d+\s+\d+\s+\d+\s+\d+\/ *\d+/.test(l))
        .slice(0, 3);
      const names = rows.map((r) => /^\s*\d+\s+\S+\s+(\S+)/.exec(r)?.[1]);
      expect(names).toEqual(['hello', 'rng', 'timer']);
      // hello has finished; timer is still alarming.
      expect(rows[0]).toMatch(/Terminated/);
      expect(rows[2]).toMatch(/Running|Yielded|YieldedFor/);
      // Its Syscalls column counts something.
      expect(Number(/timer\s+\d+\s+(\d+)/.exec(rows[2]!)?.[1])).toBeGreaterThan(5);
    });

    it("prints list rows in Tock 2.2's row format", () => {
      // " {:<7}{:<11}{:<20}{:6}{:10}{:10}  {:2}/{:2}   {:?}" (capsules/core process_console.rs);
      // the apps carry a ShortId TLV, so the column shows it in hex.
      expect(q.output()).toMatch(
        /\n 1 {6}0x102 {6}rng {17}[ \d]{6}[ \d]{10}[ \d]{10} {2}[ \d]{2}\/[ \d]{2} {3}\w+\n/,
      );
    });

    it("answers process <name> with Tock's process overview", async () => {
      const from = q.output().length;
      await q.type('process timer\r');
      await q.waitFor(/Protected +\d+ +S\n.*H\n/, 20_000, from);
      const out = q.output().slice(from);
      // The line starts with a bold "App" in Unicode (the harness decodes bytes as latin1).
      expect(out).toMatch(/: timer {3}- {3}\[\w+\]\n/);
      expect(out).toMatch(
        / Events Queued: \d+ {3}Syscall Count: \d+ {3}Dropped Upcall Count: \d+\n/,
      );
      expect(out).toMatch(/ Restart Count: 0\n/);
      // Tock's Syscall Debug form, or None once the process has exited (a loaded machine can
      // let the timer app finish before the command arrives).
      expect(out).toMatch(
        / Last Syscall: (?:None|(?:Yield|Command|Subscribe|Memop) \{[^}\n]*\})\n/,
      );
      // Box-drawing characters decode as latin1 here: match the words.
      expect(out).toMatch(/Address .* Region Name {4}Used \| Allocated \(bytes\) /);
      expect(out).toMatch(/ App Flash +\d+ +L\n/);
    });

    it('answers status with the process count', async () => {
      const from = q.output().length;
      await q.type('status\r');
      const m = await q.waitFor(/Total processes: (\d+)\n/, 20_000, from);
      expect(Number(m[1])).toBe(3);
      const served = await q.waitFor(/System calls served: (\d+)\n/, 20_000, from);
      expect(Number(served[1])).toBeGreaterThan(10);
      expect(kernelPanics(q.output())).toEqual([]);
    });

    // Last: it faults the timer app. The request wakes the kernel loop (a deferred-call bit),
    // which faults the process before it runs again, also where the SysTick handler switches
    // between processes itself (it leaves requests to the loop).
    it('answers fault <name> by faulting that process under its fault policy', async () => {
      const from = q.output().length;
      await q.type('fault timer\r');
      await q.waitFor(/Process timer now faulted\n/, 20_000, from);
      await q.waitFor(
        /'timer' \(pid \d+\) faulted on request from the process console\n/,
        20_000,
        from,
      );
      await q.waitFor(/process 'timer' (?:restarted|stopped)/, 20_000, from);
      expect(kernelPanics(q.output())).toEqual([]);
    });
  });
}
