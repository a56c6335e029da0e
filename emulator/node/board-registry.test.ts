// The board registry agrees with everything that names boards: the kernel's board crates and
// layouts, the emulator's machines and their memory, the SVD files, OpenOCD's scripts, and the
// build scripts' reading of the same JSON.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error scripts/boards.mjs is plain JavaScript without type declarations.
import { resolveBoard } from '../../scripts/boards.mjs';
import { MACHINE_DEFINITIONS, MACHINE_NAMES } from '../machines/definitions';
import { createSession } from '../session/session';
import { BOARDS, boardOfMachine, findBoard } from '../boards/registry';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const OPENOCD_SCRIPTS = '/usr/share/openocd/scripts';

describe('board registry', () => {
  it('spells each board one way: the kernel crate folder, its layout and its machine', () => {
    for (const b of BOARDS) {
      const dir = path.join(ROOT, 'kernel', 'boards', b.name);
      expect(existsSync(path.join(dir, 'Cargo.toml')), `kernel/boards/${b.name}`).toBe(true);
      const layout = JSON.parse(readFileSync(path.join(dir, 'layout.json'), 'utf8'));
      expect(layout.board).toBe(b.name);
      expect(b.layout).toEqual(layout);
      expect(b.machine in MACHINE_DEFINITIONS, `machine ${b.machine}`).toBe(true);
    }
    // Every machine models a registered board, and no two boards share a name or alias.
    for (const m of MACHINE_NAMES) expect(boardOfMachine(m)?.machine).toBe(m);
    const names = BOARDS.flatMap((b) => [b.name, ...b.aliases]);
    expect(new Set(names).size).toBe(names.length);
  });

  it('puts the kernel and the apps inside memory the machine can program', () => {
    for (const b of BOARDS) {
      const s = createSession({ machine: b.machine });
      if (!s.ok) throw new Error(s.error);
      const memories = s.value.machine.programmable;
      const inside = ([start, size]: readonly [number, number]): boolean =>
        memories.some((m) => start >= m.base && start + size <= m.base + m.size);
      for (const span of [
        b.layout.flash.kernel,
        b.layout.flash.apps,
        b.layout.ram.kernel,
        b.layout.ram.apps,
      ])
        expect(inside(span), `${b.name}: ${span.map((n) => n.toString(16)).join('+')}`).toBe(true);
    }
  });

  it('names SVD files that exist, the ones the machines name their registers with', () => {
    for (const b of BOARDS) {
      const s = createSession({ machine: b.machine });
      if (!s.ok) throw new Error(s.error);
      if (b.svd === null) {
        expect(s.value.machine.svd).toBe(null);
        continue;
      }
      expect(existsSync(path.join(ROOT, b.svd)), b.svd).toBe(true);
      expect(`resources/svd/${s.value.machine.svd}`).toBe(b.svd);
      expect(readFileSync(path.join(ROOT, b.svd), 'utf8')).toMatch(
        new RegExp(`<name>${b.chip.toLowerCase()}</name>`),
      );
    }
  });

  it('names OpenOCD interface and target scripts that OpenOCD ships', () => {
    const withProbe = BOARDS.filter((b) => b.openocd !== null);
    expect(withProbe.map((b) => b.name)).toEqual(['nrf52840dk', 'microbit-v2']);
    expect(BOARDS.find((b) => b.name === 'nrf52840dk')!.openocd).toEqual({
      interface: 'interface/jlink.cfg',
      transport: 'swd',
      target: 'target/nrf52.cfg',
    });
    expect(BOARDS.find((b) => b.name === 'microbit-v2')!.openocd).toEqual({
      interface: 'interface/cmsis-dap.cfg',
      transport: 'swd',
      target: 'target/nrf52.cfg',
    });
    // openocd is one of the set-up step's packages; its scripts must be where we point.
    for (const b of withProbe) {
      expect(existsSync(path.join(OPENOCD_SCRIPTS, b.openocd!.interface))).toBe(true);
      expect(existsSync(path.join(OPENOCD_SCRIPTS, b.openocd!.target))).toBe(true);
    }
  });

  it('finds boards by name, and by a former name with a one-line notice', () => {
    expect(findBoard('microbit-v2')).toEqual({ ok: true, value: { board: BOARDS[2] } });
    expect(findBoard('microbit_v2')).toEqual({
      ok: true,
      value: {
        board: BOARDS[2],
        notice: "board 'microbit_v2' is now called 'microbit-v2' (the old name still works)",
      },
    });
    expect(findBoard('nrf51dk')).toEqual({
      ok: false,
      error: "unknown board 'nrf51dk' (boards: mps2-an386, nrf52840dk, microbit-v2)",
    });
  });

  it('reads the same as the build scripts do (scripts/boards.mjs)', () => {
    for (const b of BOARDS)
      for (const name of [b.name, ...b.aliases]) {
        const r = resolveBoard(name) as { name: string; board: { machine: string } | null };
        expect(r.name).toBe(b.name);
        expect(r.board?.machine).toBe(b.machine);
      }
    expect(resolveBoard('my-own-board')).toEqual({ name: 'my-own-board', board: null });
  });
});

describe('machine memory maps', () => {
  it('cover every mapped address with exactly one region of a declared kind', () => {
    for (const m of MACHINE_NAMES) {
      const s = createSession({ machine: m });
      if (!s.ok) throw new Error(s.error);
      const map = s.value.memoryMap;
      for (const r of s.value.core.bus.regions) {
        const covering = map.filter(
          (x) => r.base >= x.start && r.base + r.size <= x.start + x.size,
        );
        expect(covering.length, `${m}: ${r.name} at 0x${r.base.toString(16)}`).toBe(1);
      }
      for (let i = 1; i < map.length; i++)
        expect(map[i]!.start).toBeGreaterThanOrEqual(map[i - 1]!.start + map[i - 1]!.size);
    }
    const kinds = (m: string) => {
      const s = createSession({ machine: m });
      if (!s.ok) throw new Error(s.error);
      return s.value.memoryMap.map(
        (r) => `${r.kind} ${r.start.toString(16)}+${r.size.toString(16)}`,
      );
    };
    expect(kinds('nrf52840dk')).toEqual(
      expect.arrayContaining([
        'flash 0+100000',
        'ram 800000+40000',
        'flash 10000000+1000',
        'flash 10001000+1000',
        'ram 20000000+40000',
        // The APB peripherals up to ID 0x29, then PWM3 and SPIM3; GPIO; CryptoCell.
        'peripheral 40000000+2a000',
        'peripheral 4002d000+1000',
        'peripheral 4002f000+1000',
        'peripheral 50000000+1000',
        'peripheral 5002a000+2000',
        // ITM, DWT and FPB; the SCS; TPIU and ETM (identification only); the ROM table.
        'system e0000000+3000',
        'system e000e000+1000',
        'system e0040000+2000',
        'system e00ff000+1000',
      ]),
    );
    expect(kinds('microbit-v2')).toEqual(
      expect.arrayContaining(['flash 0+80000', 'ram 20000000+20000']),
    );
    expect(kinds('mps2-an386')).toEqual(
      expect.arrayContaining(['ram 0+400000', 'ram 20000000+400000', 'peripheral 40000000+200100']),
    );
    for (const m of MACHINE_NAMES)
      expect(kinds(m).filter((k) => k.startsWith('system'))).not.toEqual([]);
  });
});
