/**
 * The documents a GDB server hands out through `qXfer`: the target description (registers), the
 * memory map and the thread list, built from a `DebugTarget`'s description.
 *
 * Registers are numbered as the server's `g` packet lays them out: r0-r12, sp, lr, pc (0-15),
 * xpsr (16) in `org.gnu.gdb.arm.m-profile`; msp, psp, primask, basepri, faultmask, control
 * (17-22) in `org.gnu.gdb.arm.m-system`; with an FPU, d0-d15 and fpscr (23-39) in
 * `org.gnu.gdb.arm.vfp` (GDB manual, "Standard Target Features", "ARM Features": M-profile
 * targets carry m-profile, and m-system for the system registers; vfp for VFPv2+ registers).
 * The memory map follows the manual's "Memory Map Format": flash regions carry their erase
 * block size (so `load` erases and programs them through vFlash), RAM, peripheral and system
 * ranges are `ram` (GDB then reads peripheral registers instead of refusing addresses outside
 * the map), and factory-written flash without a block size is `rom`.
 *
 * @example
 *   const xml = targetXml(target.description.capabilities.fpu);
 *   const map = memoryMapXml(target.description.memoryMap);
 */
import type { CoreRegisterName, MemoryRegion } from '../debug/target';

/** One register of the server's `g` layout. */
export interface ServerRegister {
  /** GDB's name and our regnum (index in SERVER_REGISTERS order). */
  name: string;
  regnum: number;
  bitsize: 32 | 64;
  feature: 'm-profile' | 'm-system' | 'vfp';
  type: string;
  /** The DebugTarget register(s) it is made of: one core register, or an FP pair for dN. */
  source: { core: CoreRegisterName } | { fp: [string, string] } | { fpscr: true };
}

const CORE: [string, string][] = [
  ...Array.from({ length: 13 }, (_, i): [string, string] => [`r${i}`, 'uint32']),
  ['sp', 'data_ptr'],
  ['lr', 'code_ptr'],
  ['pc', 'code_ptr'],
  ['xpsr', 'uint32'],
];
const SYSTEM = ['msp', 'psp', 'primask', 'basepri', 'faultmask', 'control'];

/** The registers the server describes, in `g` order. */
export function serverRegisters(fpu: boolean): ServerRegister[] {
  const out: ServerRegister[] = [];
  for (const [name, type] of CORE)
    out.push({
      name,
      regnum: out.length,
      bitsize: 32,
      feature: 'm-profile',
      type,
      source: { core: name as CoreRegisterName },
    });
  for (const name of SYSTEM)
    out.push({
      name,
      regnum: out.length,
      bitsize: 32,
      feature: 'm-system',
      type: name === 'msp' || name === 'psp' ? 'data_ptr' : 'uint32',
      source: { core: name as CoreRegisterName },
    });
  if (fpu) {
    for (let d = 0; d < 16; d++)
      out.push({
        name: `d${d}`,
        regnum: out.length,
        bitsize: 64,
        feature: 'vfp',
        type: 'ieee_double',
        source: { fp: [`s${2 * d}`, `s${2 * d + 1}`] },
      });
    out.push({
      name: 'fpscr',
      regnum: out.length,
      bitsize: 32,
      feature: 'vfp',
      type: 'int',
      source: { fpscr: true },
    });
  }
  return out;
}

const FEATURE_NAMES: Record<ServerRegister['feature'], string> = {
  'm-profile': 'org.gnu.gdb.arm.m-profile',
  'm-system': 'org.gnu.gdb.arm.m-system',
  vfp: 'org.gnu.gdb.arm.vfp',
};

/** `target.xml`: architecture and one feature element per register group, inline. */
export function targetXml(fpu: boolean): string {
  const regs = serverRegisters(fpu);
  const features = (['m-profile', 'm-system', 'vfp'] as const)
    .map((f) => {
      const mine = regs.filter((r) => r.feature === f);
      if (mine.length === 0) return '';
      const lines = mine.map(
        (r) =>
          `    <reg name="${r.name}" bitsize="${r.bitsize}" regnum="${r.regnum}" type="${r.type}"${r.feature === 'm-profile' ? '' : ' group="system"'}/>`,
      );
      return `  <feature name="${FEATURE_NAMES[f]}">\n${lines.join('\n')}\n  </feature>\n`;
    })
    .join('');
  return (
    '<?xml version="1.0"?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n<target version="1.0">\n' +
    '  <architecture>arm</architecture>\n' +
    features +
    '</target>\n'
  );
}

const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;

/** `qXfer:memory-map:read` document; regions sorted, overlaps trimmed (GDB rejects overlaps). */
export function memoryMapXml(regions: readonly MemoryRegion[]): string {
  const sorted = [...regions].filter((r) => r.size > 0).sort((a, b) => a.start - b.start);
  const lines: string[] = [];
  let end = 0;
  for (const r of sorted) {
    let start = r.start;
    let size = r.size;
    if (start < end) {
      size -= end - start;
      start = end;
      if (size <= 0) continue;
    }
    end = start + size;
    if (r.kind === 'flash' && r.blockSize)
      lines.push(
        `  <memory type="flash" start="${hex(start)}" length="${hex(size)}">\n    <property name="blocksize">${hex(r.blockSize)}</property>\n  </memory>`,
      );
    else
      lines.push(
        `  <memory type="${r.kind === 'flash' ? 'rom' : 'ram'}" start="${hex(start)}" length="${hex(size)}"/>`,
      );
  }
  return (
    '<?xml version="1.0"?>\n<!DOCTYPE memory-map PUBLIC "+//IDN gnu.org//DTD GDB Memory Map V1.0//EN" "http://sourceware.org/gdb/gdb-memory-map.dtd">\n' +
    `<memory-map>\n${lines.join('\n')}\n</memory-map>\n`
  );
}

/** Escapes text for an XML attribute or element. */
export function xmlEscape(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

/** `qXfer:threads:read` document. */
export function threadsXml(
  threads: readonly { id: number; name: string; extra: string }[],
): string {
  const items = threads.map(
    (t) =>
      `  <thread id="${t.id.toString(16)}" core="0" name="${xmlEscape(t.name)}">${xmlEscape(t.extra)}</thread>`,
  );
  return `<?xml version="1.0"?>\n<threads>\n${items.join('\n')}\n</threads>\n`;
}
