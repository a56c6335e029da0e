/**
 * App builder and image composer: builds the userspace apps, packs them as TBFs and writes the
 * bootable image.
 *
 * `node scripts/kernel.mjs build` calls `buildAppsAndImage` after the kernel links. Each app in
 * kernel/apps/ gets a fixed flash slot (from the board's apps flash start) and a fixed RAM slot
 * (from its app RAM start), identical on every board so the same binaries run everywhere. For
 * each app this writes a linker script, runs `cargo rustc` for thumbv7em-none-eabi with the
 * kernel toolchain, and packs the ELF with emulator/formats/elf2tbf.ts; the C apps (C_APPS) are
 * built with arm-none-eabi-gcc as position-independent code and packed without fixed addresses.
 * Outputs in `outDir`: apps/<name>.tbf and apps/<name>.tab (a Tock application bundle, as
 * tockloader reads them), apps.bin (every fixed-address TBF at its slot, gaps filled with
 * padding TBFs, to be placed at the apps flash start), image.hex (kernel + apps exactly as
 * flashed) and apps.json (what went where). The TypeScript format modules are loaded through
 * tsx, so this runs in plain Node.
 *
 * Usage:
 *   import { buildAppsAndImage } from './apps.mjs';
 *   const r = await buildAppsAndImage({ board: 'mps2-an386', projectDir: 'kernel', kernelElf, outDir, log });
 *   if (!r.ok) console.error(r.problem);
 * or from the command line: node scripts/apps.mjs --board mps2-an386 [--kernel-elf f] [--out dir]
 * and, for any ELF linked at fixed addresses: node scripts/apps.mjs pack app.elf --name app --address 0x40000
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');

/** The documented layout, used only when a board has no layout.json yet. */
const DEFAULT_LAYOUT = {
  flash: { kernel: [0x0, 0x40000], apps: [0x40000, 0xc0000] },
  ram: { kernel: [0x20000000, 0x8000], apps: [0x20008000, 0x18000] },
};

/** Bytes of flash each app slot takes: a power of two, as PMSAv7 MPU regions need. */
export const FLASH_SLOT = 0x4000;
/** Bytes of RAM each app slot takes (the app's own part plus the kernel's grant region). */
export const RAM_SLOT = 0x2000;
/** Bytes before each app's binary that hold its TBF header (the rest is protected trailer). */
export const HEADER_SPACE = 0x80;
/** The MPU covers a RAM slot with one region of eight subregions, so the app break (the end of
 * the app's minimum RAM) must fall on a subregion boundary. */
export const RAM_GRANULE = RAM_SLOT / 8;
/** Stack at the bottom of the app's RAM, so an overflow leaves the process's memory. */
export const STACK_SIZE = 0x800;

/**
 * Every app, in slot order. `slot` fixes its addresses. The default apps.bin holds all of
 * them but the test-only ones (`testOnly`: the kernel's isolation tests compose them into
 * their own images; the C apps below may use the same flash slots in other tests' images), so
 * one boot shows every behaviour within the kernel's 8 processes; tests compose smaller images
 * with composeApps.
 */
export const APPS = [
  { name: 'hello', crate: 'hello', bin: 'hello', slot: 0, shortId: 0x101 },
  { name: 'rng', crate: 'rng', bin: 'rng', slot: 1, shortId: 0x102 },
  { name: 'timer', crate: 'timer', bin: 'timer', slot: 2, shortId: 0x103 },
  { name: 'fault_kernel', crate: 'fault', bin: 'fault_kernel', slot: 3, shortId: 0x104 },
  { name: 'fault_stack', crate: 'fault', bin: 'fault_stack', slot: 4, shortId: 0x105 },
  { name: 'peek', crate: 'peek', bin: 'peek', slot: 5, shortId: 0x106 },
  { name: 'fuzzer', crate: 'fuzzer', bin: 'fuzzer', slot: 6, shortId: 0x107 },
  { name: 'badcalls', crate: 'badcalls', bin: 'badcalls', slot: 7, shortId: 0x108 },
  { name: 'stress', crate: 'isolation', bin: 'stress', slot: 8, shortId: 0x110, testOnly: true },
  {
    name: 'upcall_fault',
    crate: 'isolation',
    bin: 'upcall_fault',
    slot: 9,
    shortId: 0x111,
    testOnly: true,
  },
  {
    name: 'usage_fault',
    crate: 'isolation',
    bin: 'usage_fault',
    slot: 10,
    shortId: 0x112,
    testOnly: true,
  },
  // npm run bench:syscall's pair (tests/bench/syscall-bench.ts): flash after the C apps' slots,
  // RAM in the test-only apps' slots (never in an image with them).
  {
    name: 'sysbench_calls',
    crate: 'sysbench',
    bin: 'sysbench_calls',
    slot: 14,
    ramSlot: 8,
    shortId: 0x113,
    testOnly: true,
  },
  {
    name: 'sysbench_spin',
    crate: 'sysbench',
    bin: 'sysbench_spin',
    slot: 15,
    ramSlot: 9,
    shortId: 0x114,
    testOnly: true,
  },
];

/**
 * C apps in kernel/apps/c, built with Debian's arm-none-eabi-gcc as position-independent code
 * (the libtock-c way: -fPIC -msingle-pic-base -mno-pic-data-is-text-relative, our own crt0 in
 * c/lib relocating the GOT and data, no C library) and packed without fixed addresses, so the
 * kernel may put them anywhere. `slot` is only where tests usually place them; they are not in
 * the default apps.bin (the kernel has 8 process slots, and the apps above fill them).
 */
export const C_APPS = [
  { name: 'pic', dir: 'pic', slot: 8, shortId: 0x109 },
  { name: 'tockabi', dir: 'tockabi', slot: 9, shortId: 0x10a },
  { name: 'led', dir: 'led', slot: 10, shortId: 0x10b },
  { name: 'buttons', dir: 'buttons', slot: 11, shortId: 0x10c },
  { name: 'gpio', dir: 'gpio', slot: 12, shortId: 0x10d },
  { name: 'temperature', dir: 'temperature', slot: 13, shortId: 0x10e },
];

/** The TAB architecture name of our boards' CPU (tockloader's, as elf2tab writes it). */
export const TAB_ARCH = 'cortex-m4';

/** arm-none-eabi-gcc flags of the C apps (see C_APPS). */
export const C_FLAGS = [
  '-mcpu=cortex-m4',
  '-mthumb',
  '-Os',
  '-g',
  '-fPIC',
  '-msingle-pic-base',
  '-mpic-register=r9',
  '-mno-pic-data-is-text-relative',
  '-ffreestanding',
  '-nostdlib',
  '-fno-tree-loop-distribute-patterns',
  '-Wall',
  '-Wextra',
  '-Werror',
  // Keep .rel.data: the packer turns it into the table crt0 relocates pointers in data with.
  '-Wl,--emit-relocs',
];

const hex = (n) => `0x${(n >>> 0).toString(16)}`;

/**
 * Every Rust app of a project: `APPS`, then each other member of apps/Cargo.toml's workspace
 * (an app crate a person or "New capsule..." added, with one binary named after the crate), in
 * the order the workspace lists them: flash slots after the C apps' (`slot`), RAM slots after
 * the default image's Rust apps (`ramSlot`; the C apps take no fixed RAM, and the test-only apps
 * are only ever placed in their own test images, so an added app may share their RAM slots: the
 * app RAM has room for twelve slots, not for every app at once).
 */
export function appsOf(projectDir) {
  let toml;
  try {
    toml = readFileSync(join(projectDir, 'apps', 'Cargo.toml'), 'utf8');
  } catch {
    return APPS;
  }
  const members = /members\s*=\s*\[([^\]]*)\]/.exec(toml);
  const names = members ? [...members[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]) : [];
  const known = new Set([...APPS.map((a) => a.crate), 'runtime']);
  const extra = names.filter((n) => !known.has(n) && /^[a-z][a-z0-9_]*$/.test(n));
  let slot = Math.max(...APPS.map((a) => a.slot), ...C_APPS.map((a) => a.slot)) + 1;
  let ramSlot = Math.max(...APPS.filter((a) => !a.testOnly).map((a) => a.slot)) + 1;
  return [
    ...APPS,
    ...extra.map((name) => {
      const s = slot++;
      return { name, crate: name, bin: name, slot: s, ramSlot: ramSlot++, shortId: 0x101 + s };
    }),
  ];
}

/** The board's memory layout from kernel/boards/<board>/layout.json (or the documented one). */
export function readLayout(projectDir, board, log = () => {}) {
  const file = join(projectDir, 'boards', board, 'layout.json');
  if (!existsSync(file)) {
    log(
      `apps: ${file} not found; using the documented layout (apps at 0x40000, app RAM at 0x20008000)`,
    );
    return { board, ...DEFAULT_LAYOUT };
  }
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Flash and RAM addresses of `app` in `layout` (a PIC app has a flash slot only). */
export function slotOf(layout, app) {
  const [flashStart, flashSize] = layout.flash.apps;
  const [ramStart, ramSize] = layout.ram.apps;
  const tbfAddress = flashStart + app.slot * FLASH_SLOT;
  const ram = app.dir !== undefined ? null : ramStart + (app.ramSlot ?? app.slot) * RAM_SLOT;
  if (tbfAddress + FLASH_SLOT > flashStart + flashSize)
    return { problem: `${app.name}: flash slot ${app.slot} is past the apps flash` };
  if (ram !== null && ram + RAM_SLOT > ramStart + ramSize)
    return { problem: `${app.name}: RAM slot ${app.ramSlot ?? app.slot} is past the app RAM` };
  return { tbfAddress, ram };
}

/** Builds the C apps (C_APPS) into ELFs; { ok, elves } or { ok: false, problem }. */
export function buildCApps({ projectDir, log = () => {} }) {
  const cDir = join(projectDir, 'apps', 'c');
  const lib = join(cDir, 'lib');
  const outDir = join(projectDir, 'target', 'apps', 'c');
  mkdirSync(outDir, { recursive: true });
  const elves = new Map();
  for (const app of C_APPS) {
    const src = join(cDir, app.dir);
    const sources = [
      join(lib, 'crt0.S'),
      join(lib, 'crt0.c'),
      join(lib, 'tock.c'),
      ...readdirSync(src)
        .filter((f) => f.endsWith('.c'))
        .sort()
        .map((f) => join(src, f)),
    ];
    const elf = join(outDir, `${app.name}.elf`);
    const args = [...C_FLAGS, '-I', lib, '-T', join(lib, 'pic.ld'), ...sources, '-o', elf];
    log(`apps: building C app ${app.name} (position independent)`);
    const r = spawnSync('arm-none-eabi-gcc', args, { encoding: 'utf8' });
    if (r.error)
      return {
        ok: false,
        problem: `apps: arm-none-eabi-gcc not runnable (${r.error.message}); install gcc-arm-none-eabi`,
      };
    if (r.status !== 0)
      return {
        ok: false,
        problem: `apps: gcc failed for ${app.name}:\n${(r.stderr ?? '').trim()}`,
      };
    elves.set(app.name, elf);
  }
  return { ok: true, elves };
}

/** The TAB of one packed app: metadata.toml and its cortex-m4 TBF (named as elf2tab does). */
export async function tabOf(app, packed) {
  const { tab } = await loadFormats();
  const fixed = packed.spec.fixedAddresses;
  return tab.buildTab({
    name: app.name,
    tbfs: [
      {
        arch: TAB_ARCH,
        ...(fixed ? { fixed: { flash: fixed.flash, ram: fixed.ram } } : {}),
        bytes: packed.tbf,
      },
    ],
    minimumKernelVersion: packed.spec.kernelVersion ?? { major: 2, minor: 0 },
  });
}

/**
 * The linker script of a Rust app placed at `tbfAddress` with its RAM slot at `ram`.
 *
 * Alignment goes on the output sections (`.rodata : ALIGN(4)`), never as a `. = ALIGN(4)`
 * inside one: GNU ld turns a section with no input but a location move into a writable NOBITS
 * section, so an app without read-only data had a writable `.rodata` in flash and the packer
 * took its RAM start from there. `.data`'s load address in flash follows its alignment
 * (GNU ld aligns the LMA of an `AT >` region to the section's alignment), so the runtime copies
 * whole words.
 */
export function linkerScript(app, tbfAddress, ram) {
  return `/* Generated by scripts/apps.mjs for ${app.name}: do not edit. */
MEMORY {
  FLASH (rx) : ORIGIN = ${hex(tbfAddress + HEADER_SPACE)}, LENGTH = ${hex(FLASH_SLOT - HEADER_SPACE)}
  RAM (rwx) : ORIGIN = ${hex(ram)}, LENGTH = ${hex(RAM_SLOT)}
}
ENTRY(_start)
SECTIONS {
  .start : { KEEP(*(.start)) } > FLASH
  .text : { *(.text .text.*) } > FLASH
  .rodata : ALIGN(4) { *(.rodata .rodata.*) } > FLASH
  .stack (NOLOAD) : { . = ALIGN(8); . += ${hex(STACK_SIZE)}; _stack_top = .; } > RAM
  .data : ALIGN(4) { _sdata = .; *(.data .data.*); . = ALIGN(4); _edata = .; } > RAM AT > FLASH
  _sidata = LOADADDR(.data);
  .bss (NOLOAD) : { _sbss = .; *(.bss .bss.* COMMON); . = ALIGN(4); _ebss = .; } > RAM
  /* Tock's memory model: the process starts with 32 bytes and claims the rest with brk. */
  _sram_origin = ORIGIN(RAM);
  _app_break = ALIGN(_ebss, 8);
  /DISCARD/ : { *(.ARM.exidx .ARM.exidx.*) *(.ARM.extab .ARM.extab.*) }
}
`;
}

let formats;
/** The TypeScript format modules (tbf, elf, elf2tbf, ihex), loaded once through tsx. */
export async function loadFormats() {
  if (!formats) {
    const load = (f) => tsImport(join(repo, 'emulator', 'formats', f), import.meta.url);
    const [tbf, elf, elf2tbf, ihex, tab] = await Promise.all([
      load('tbf.ts'),
      load('elf.ts'),
      load('elf2tbf.ts'),
      load('ihex.ts'),
      load('tab.ts'),
    ]);
    formats = { tbf, elf, elf2tbf, ihex, tab };
  }
  return formats;
}

/**
 * Builds every app ELF. Returns { ok, elves: Map<name, path> } or { ok: false, problem }.
 * With `messageFormat: 'json'`, cargo reports in JSON and each line of it goes to
 * `onCargoLine` (the IDE's build turns them into progress and markers).
 */
export async function buildAppElves({
  board,
  projectDir,
  log = () => {},
  messageFormat,
  onCargoLine = () => {},
}) {
  const { ensureKernelToolchain } = await import('./toolchain.mjs');
  const tc = await ensureKernelToolchain({ log });
  if (!tc.ok) return { ok: false, problem: `toolchain: ${tc.problem} (fix: ${tc.fix})` };
  const layout = readLayout(projectDir, board, log);
  const appsDir = join(projectDir, 'apps');
  // kernel/apps/.cargo/config.toml sends cargo's output here; the linker scripts go beside it.
  const targetDir = join(projectDir, 'target', 'apps');
  const ldDir = join(targetDir, 'ld');
  mkdirSync(ldDir, { recursive: true });
  const elves = new Map();
  for (const app of appsOf(projectDir)) {
    const slot = slotOf(layout, app);
    if (slot.problem) return { ok: false, problem: slot.problem };
    const ld = join(ldDir, `${app.name}.ld`);
    writeFileSync(ld, linkerScript(app, slot.tbfAddress, slot.ram));
    // `cargo rustc` passes the linker script to this binary only, so the runtime crate is
    // compiled once for all apps.
    const args = [
      'rustc',
      '--release',
      '-p',
      app.crate,
      '--bin',
      app.bin,
      '--target',
      tc.target,
      ...(messageFormat === 'json' ? ['--message-format=json-diagnostic-rendered-ansi'] : []),
      '--',
      '-C',
      `link-arg=-T${ld}`,
    ];
    log(`apps: building ${app.name} at ${hex(slot.tbfAddress)} (RAM ${hex(slot.ram)})`);
    const r = spawnSync(tc.cargo, args, {
      cwd: appsDir,
      env: { ...tc.env, CARGO_BUILD_JOBS: '2', CARGO_TARGET_DIR: targetDir },
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    if (messageFormat === 'json')
      for (const line of (r.stdout ?? '').split('\n')) if (line.trim()) onCargoLine(line);
    if (r.status !== 0) {
      return {
        ok: false,
        problem: `apps: cargo failed for ${app.name}:\n${(r.stderr ?? '').trim()}`,
      };
    }
    // Apps must build without warnings; surface any so they are seen and fixed.
    for (const line of (r.stderr ?? '').split('\n'))
      if (/^warning/.test(line)) log(`apps: ${app.name}: ${line}`);
    elves.set(app.name, join(targetDir, tc.target, 'release', app.bin));
  }
  const c = buildCApps({ projectDir, log });
  if (!c.ok) return c;
  for (const [name, elf] of c.elves) elves.set(name, elf);
  return { ok: true, elves, layout };
}

/**
 * Packs one app ELF into a TBF for its slot. `overrides` change the packer options (tests use it
 * to build bad images: huge RAM requests, wrong addresses).
 */
export async function packApp(app, elfPath, layout, overrides = {}) {
  const { elf, elf2tbf } = await loadFormats();
  const slot = slotOf(layout, app);
  if (slot.problem) return { ok: false, error: slot.problem };
  let parsed;
  try {
    parsed = elf.parseElf(new Uint8Array(readFileSync(elfPath)));
  } catch (e) {
    return { ok: false, error: `${app.name}: ${e.message}` };
  }
  const placement = app.dir !== undefined ? { pic: true } : { tbfAddress: slot.tbfAddress };
  const r = elf2tbf.elfToTbf(parsed, {
    packageName: app.name,
    ramAlign: RAM_GRANULE,
    ...placement,
    totalSize: FLASH_SLOT,
    shortId: app.shortId,
    kernelVersion: { major: 2, minor: 0 },
    ...overrides,
  });
  // A PIC app goes wherever it is put; the manifest and apps.bin use its usual slot.
  if (r.ok && r.value.tbfAddress === null) r.value.tbfAddress = slot.tbfAddress;
  return r;
}

/**
 * Lays TBFs (each with the flash address it must sit at) into one apps region image starting
 * at `appsStart`; gaps between them become padding TBFs so the kernel's walk reaches each one.
 */
export async function composeApps(appsStart, placed) {
  const { tbf } = await loadFormats();
  const sorted = [...placed].sort((a, b) => a.address - b.address);
  const end = sorted.length
    ? sorted[sorted.length - 1].address + sorted[sorted.length - 1].bytes.length
    : appsStart;
  const out = new Uint8Array(end - appsStart);
  let at = appsStart;
  for (const p of sorted) {
    if (p.address < at)
      throw new Error(
        `TBF at ${hex(p.address)} overlaps the one before it (which ends at ${hex(at)})`,
      );
    if (p.address > at) out.set(tbf.buildPaddingTbf(p.address - at), at - appsStart);
    out.set(p.bytes, p.address - appsStart);
    at = p.address + p.bytes.length;
  }
  return out;
}

/** Kernel ELF's flash contents (load address, bytes) for the hex image. */
async function kernelSegments(kernelElf) {
  const { elf } = await loadFormats();
  const parsed = elf.parseElf(new Uint8Array(readFileSync(kernelElf)));
  const segments = parsed.segments
    .filter((s) => s.type === elf.PT_LOAD && s.filesz > 0)
    .map((s) => ({ address: s.paddr, data: s.data.subarray(0, s.filesz) }));
  return { segments, entry: parsed.entry };
}

/**
 * One Intel HEX file of several ELFs' flash contents, starting at the first one's entry (a
 * bootloader and the kernel it starts). Returns { ok: true, out } or { ok: false, problem }.
 */
export async function writeImageHex({ elves, out }) {
  const { ihex } = await loadFormats();
  const parts = await Promise.all(elves.map((e) => kernelSegments(e)));
  const segments = parts.flatMap((p) => p.segments).sort((a, b) => a.address - b.address);
  for (let i = 1; i < segments.length; i++) {
    const prev = segments[i - 1];
    if (prev.address + prev.data.length > segments[i].address)
      return {
        ok: false,
        problem: `image: ${hex(prev.address)}-${hex(prev.address + prev.data.length)} overlaps the segment at ${hex(segments[i].address)}`,
      };
  }
  writeFileSync(out, ihex.writeIntelHex(segments, { startAddress: parts[0].entry }));
  return { ok: true, out };
}

/**
 * Builds the apps, packs them and writes apps/*.tbf, apps.bin, apps.json and image.hex into
 * outDir. Returns { ok: true, apps, appsBin, imageHex } or { ok: false, problem }.
 */
export async function buildAppsAndImage({
  board,
  projectDir = join(repo, 'kernel'),
  kernelElf,
  outDir,
  log = () => {},
  messageFormat,
  onCargoLine,
}) {
  const built = await buildAppElves({ board, projectDir, log, messageFormat, onCargoLine });
  if (!built.ok) return built;
  const { layout, elves } = built;
  mkdirSync(join(outDir, 'apps'), { recursive: true });
  const placed = [];
  const manifest = [];
  for (const app of [...appsOf(projectDir), ...C_APPS]) {
    const packed = await packApp(app, elves.get(app.name), layout);
    if (!packed.ok) return { ok: false, problem: `apps: ${packed.error}` };
    const v = packed.value;
    const pic = app.dir !== undefined;
    const file = join(outDir, 'apps', `${app.name}.tbf`);
    writeFileSync(file, v.tbf);
    const tabFile = join(outDir, 'apps', `${app.name}.tab`);
    writeFileSync(tabFile, await tabOf(app, v));
    if (!pic && !app.testOnly) placed.push({ address: v.tbfAddress, bytes: v.tbf });
    manifest.push({
      name: app.name,
      tbf: file,
      tab: tabFile,
      elf: elves.get(app.name),
      flash: v.tbfAddress,
      binary: pic ? null : v.binaryStart,
      entry: v.entry,
      ram: pic ? null : v.ramStart,
      positionIndependent: pic,
      inImage: !pic && !app.testOnly,
      minimumRamSize: v.minimumRamSize,
      binaryBytes: v.binaryEndOffset - v.headerSize - v.protectedTrailerSize,
    });
    log(
      `apps: ${app.name}.tbf: ${v.binaryEndOffset} of ${v.tbf.length} bytes used, RAM ${v.minimumRamSize} at ${hex(v.ramStart)}`,
    );
  }
  const appsStart = layout.flash.apps[0];
  const appsBin = await composeApps(appsStart, placed);
  const appsBinPath = join(outDir, 'apps.bin');
  writeFileSync(appsBinPath, appsBin);
  writeFileSync(
    join(outDir, 'apps.json'),
    `${JSON.stringify({ board, appsStart, apps: manifest }, null, 2)}\n`,
  );
  let imageHex;
  if (kernelElf) {
    const { ihex } = await loadFormats();
    const kernel = await kernelSegments(kernelElf);
    const kernelEnd = Math.max(...kernel.segments.map((s) => s.address + s.data.length));
    if (kernelEnd > appsStart)
      return {
        ok: false,
        problem: `apps: the kernel's flash image ends at ${hex(kernelEnd)}, past the apps start ${hex(appsStart)}`,
      };
    imageHex = join(outDir, 'image.hex');
    writeFileSync(
      imageHex,
      ihex.writeIntelHex([...kernel.segments, { address: appsStart, data: appsBin }], {
        startAddress: kernel.entry,
      }),
    );
  }
  return { ok: true, apps: manifest, appsBin: appsBinPath, imageHex, layout };
}

/**
 * `pack` subcommand: packs any ELF linked for fixed addresses into a TBF.
 *   node scripts/apps.mjs pack app.elf --name app --address 0x40000 [--size 0x4000] [--out app.tbf]
 */
/**
 * `compose` subcommand: an apps image holding only some of the built apps (the kernel runs at
 * most 8 processes, so an app past the eighth, such as one "New capsule..." wrote, runs from an
 * image of its own), and the emulator command that boots it.
 *   node scripts/apps.mjs compose --board nrf52840dk --apps hello,led_counter [--project kernel]
 */
async function composeCli(arg) {
  const board = arg('--board', undefined);
  const names = (arg('--apps', '') ?? '').split(',').filter(Boolean);
  if (!board || names.length === 0) {
    console.error(
      'usage: node scripts/apps.mjs compose --board <board> --apps a,b [--project dir]',
    );
    return 2;
  }
  const projectDir = resolve(arg('--project', join(repo, 'kernel')));
  const dir = join(projectDir, 'target', 'images', board);
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'apps.json'), 'utf8'));
  } catch {
    console.error(`${join(dir, 'apps.json')} is missing: build ${board} first`);
    return 1;
  }
  const picked = [];
  for (const name of names) {
    const app = manifest.apps.find((a) => a.name === name);
    if (!app) {
      console.error(
        `${name} is not among the built apps (${manifest.apps.map((a) => a.name).join(', ')})`,
      );
      return 1;
    }
    picked.push({ address: app.flash, bytes: new Uint8Array(readFileSync(app.tbf)) });
  }
  const out = join(dir, `${names.join('+')}.bin`);
  writeFileSync(out, await composeApps(manifest.appsStart, picked));
  const machine = board.replace(/_/g, '-');
  console.log(`${out}`);
  console.log(
    `run it: npm run emulator -- --machine ${machine} ${join(dir, 'kernel.elf')} ${out}@${hex(manifest.appsStart)}`,
  );
  return 0;
}

async function packCli(argv, arg) {
  const elfPath = argv[1];
  const name = arg('--name', undefined);
  if (!elfPath || !name) {
    console.error(
      'usage: node scripts/apps.mjs pack <app.elf> --name <name> [--address 0x40000] [--size bytes] [--out file.tbf]',
    );
    return 2;
  }
  const { elf, elf2tbf, tbf } = await loadFormats();
  let parsed;
  try {
    parsed = elf.parseElf(new Uint8Array(readFileSync(elfPath)));
  } catch (e) {
    console.error(`${elfPath}: ${e.message}`);
    return 1;
  }
  const num = (v) => (v === undefined ? undefined : Number(v));
  const r = elf2tbf.elfToTbf(parsed, {
    packageName: name,
    tbfAddress: num(arg('--address', undefined)),
    totalSize: num(arg('--size', undefined)),
  });
  if (!r.ok) {
    console.error(r.error);
    return 1;
  }
  const out = arg('--out', `${name}.tbf`);
  writeFileSync(out, r.value.tbf);
  const h = tbf.parseTbf(r.value.tbf);
  console.log(
    JSON.stringify(
      {
        out,
        tbfAddress: r.value.tbfAddress,
        totalSize: r.value.tbf.length,
        header: h.ok ? { ...h.value, tlvs: undefined, footers: h.value.footers.length } : h.error,
      },
      null,
      2,
    ),
  );
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  const arg = (name, fallback) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : fallback;
  };
  if (argv[0] === 'pack') process.exit(await packCli(argv, arg));
  if (argv[0] === 'compose') process.exit(await composeCli(arg));
  const board = arg('--board', 'mps2-an386');
  const projectDir = resolve(arg('--project', join(repo, 'kernel')));
  const outDir = resolve(arg('--out', join(projectDir, 'target', 'images', board)));
  const kernelElf = arg('--kernel-elf', undefined);
  const r = await buildAppsAndImage({
    board,
    projectDir,
    kernelElf,
    outDir,
    log: (l) => console.error(l),
  });
  if (!r.ok) {
    console.error(r.problem);
    process.exit(1);
  }
  console.log(
    JSON.stringify({
      appsBin: r.appsBin,
      imageHex: r.imageHex ?? null,
      apps: r.apps.map((a) => a.name),
    }),
  );
}
