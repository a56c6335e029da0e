import { describe, expect, it } from 'vitest';
import { explainProcessFault, mpuVerdict } from './fault';
import type { Structural } from '../../formats/dwarf/index';
import type { ProcessRecord } from './processes';
import { decodeMpuRegion, mpuRanges, viewOf } from './processes-view';

const record: ProcessRecord = {
  slot: 1,
  address: 0x20001000,
  name: 'fault',
  state: 'Faulted',
  id: 7,
  flash: { start: 0x40000, end: 0x42000 },
  ram: { start: 0x20008000, end: 0x2000a000 },
  stored: { regs: [0, 0, 0, 0, 0, 0, 0, 0], sp: 0, pc: 0 },
  registers: null,
};
const cell = (v: Structural): Structural => ({ value: { value: v } });
// RBAR 0x20008000 VALID region 0; RASR: AP=011 (RW/RW), XN, SRD 0xc0 (top two eighths off),
// SIZE=12 (8 KiB), ENABLE.
const RAM_RASR = (1 << 28) | (3 << 24) | (0xc0 << 8) | (12 << 1) | 1;

describe('MPU words (ARMv7-M B3.5.8, B3.5.9)', () => {
  it('decodes base, size, subregions, access and XN', () => {
    const r = decodeMpuRegion(0x20008000 | 0x10 | 0, RAM_RASR, 5);
    expect(r).toMatchObject({ number: 0, enabled: true, start: 0x20008000, size: 8192 });
    expect(r.access).toBe('RW/RW');
    expect(r.executeNever).toBe(true);
    expect(r.subregionsDisabled).toEqual([false, false, false, false, false, false, true, true]);
    expect(mpuRanges(r)).toEqual([{ start: 0x20008000, end: 0x20009800 }]);
    // No VALID bit: the pair's index names it; SIZE below 4 is unpredictable: not enabled.
    expect(decodeMpuRegion(0x40000, (3 << 1) | 1, 1)).toMatchObject({ number: 1, enabled: false });
    // Regions under 256 bytes have no subregions.
    expect(decodeMpuRegion(0x100, (0xff << 8) | (6 << 1) | 1, 0).subregionsDisabled).toEqual(
      Array(8).fill(false),
    );
  });

  it('names the region that refused an access, or that none covers it', () => {
    const ram = decodeMpuRegion(0x20008010, RAM_RASR, 0);
    const flash = decodeMpuRegion(0x40011, (6 << 24) | (12 << 1) | 1, 1);
    expect(mpuVerdict(0x20008100, [ram, flash], true)).toMatch(
      /MPU region 0 .*RW\/RW, XN\) covers it$/,
    );
    expect(mpuVerdict(0x40100, [ram, flash], true)).toMatch(/MPU region 1 .*RO\/RO.*: read-only/);
    expect(mpuVerdict(0x20009900, [ram, flash], true)).toMatch(
      /region 0 spans it but its subregion 6 is disabled/,
    );
    expect(mpuVerdict(0x30000000, [ram, flash], false)).toBe(
      'no MPU region covers it, so an unprivileged access is refused',
    );
  });
});

describe('a process view from the struct read by field name', () => {
  const raw = {
    name: cell({ data_ptr: 1, length: 5 }),
    restarts: cell(2),
    syscalls: cell(41),
    quanta: cell(3),
    upcall_len: cell(1),
    upcalls_dropped: cell(0),
    app_break: cell(0x20008800),
    kernel_break: cell(0x20009f00),
    layout: cell({ header_size: 64, protected_size: 16, initial_break: 0x20008400 }),
    grants: [cell(0), cell(0x20009f80), cell(0x20009f00)],
    mpu: cell({
      regions: [
        { __0: 0x20008010, __1: RAM_RASR },
        { __0: 0x40011, __1: 0 },
      ],
    }),
    last_syscall: cell({ Some: { __0: { __0: 2, __1: [1, 1, 0, 0] } } }),
    last_fault: cell({
      Some: {
        __0: {
          exception: 4,
          cfsr: 0x82,
          hfsr: 0,
          mmfar: 0x20000000,
          bfar: 0,
          pc: 0x40123,
          sp: 0x20008700,
        },
      },
    }),
    policy: cell({ RestartUpTo: { __0: 3 } }),
    subscriptions: [
      cell({ None: {} }),
      cell({ Some: { __0: { driver: 1, subscribe: 1, function: 0x40101, appdata: 7 } } }),
    ],
    allows: [
      cell({ Some: { __0: { driver: 1, number: 1, readonly: true, ptr: 0x20008100, len: 12 } } }),
    ],
    // A ring of three: head 2, two queued: slot 2 then slot 0.
    upcalls: [
      cell({ Some: { __0: { driver: 0, subscribe: 0, args: [2, 0, 0] } } }),
      cell({ None: {} }),
      cell({ Some: { __0: { driver: 1, subscribe: 1, args: [1, 0, 0] } } }),
    ],
    upcall_head: cell(2),
    // A field a newer kernel added: ignored.
    added_by_test: cell(99),
  };

  it('reads every counter, the memory map, the MPU and the fault', () => {
    const v = viewOf(record, raw);
    expect(v.counters).toEqual({
      restarts: 2,
      syscalls: 41,
      timeslices: 3,
      upcallsQueued: 1,
      upcallsDropped: 0,
      grantsAllocated: 2,
    });
    expect(v.lastSyscall).toBe('command console 1');
    expect(v.tables.subscriptions).toEqual([
      { driver: 1, subscribe: 1, function: 0x40101, appdata: 7 },
    ]);
    expect(v.tables.allows).toEqual([
      { driver: 1, number: 1, readonly: true, ptr: 0x20008100, len: 12 },
    ]);
    expect(v.tables.upcalls.map((u) => u.driver)).toEqual([1]);
    expect(v.policy).toBe('RestartUpTo(3)');
    expect(v.memory.flash).toEqual({ start: 0x40000, end: 0x42000, header: 64, protected: 16 });
    expect(v.memory.ram.appBreak).toBe(0x20008800);
    expect(v.memory.grants).toEqual([
      { number: 1, address: 0x20009f80 },
      { number: 2, address: 0x20009f00 },
    ]);
    expect(v.mpu.map((r) => r.enabled)).toEqual([true, false]);
    expect(v.fault).toMatchObject({ cfsr: 0x82, mmfar: 0x20000000, extra: { sp: 0x20008700 } });
    expect(v.missing).toEqual([]);
    const e = explainProcessFault(
      v,
      [v],
      [{ name: 'RAM', kind: 'ram', start: 0x20000000, size: 0x40000 }],
    );
    expect(e?.where).toBe("the kernel's RAM (RAM)");
    expect(e?.mpu).toBe('no MPU region covers it, so an unprivileged access is refused');
    expect(e?.lastSyscall).toBe('command console 1');
  });

  it('says which fields a kernel does not record instead of inventing them', () => {
    const { quanta: _q, upcalls_dropped: _d, grants: _g, ...older } = raw;
    const v = viewOf(record, older);
    expect(v.counters.timeslices).toBeNull();
    expect(v.counters.upcallsDropped).toBeNull();
    expect(v.counters.grantsAllocated).toBeNull();
    expect([...v.missing].sort()).toEqual(['grants', 'quanta', 'upcalls_dropped']);
  });
});
