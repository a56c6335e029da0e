// SVD generator: writes resources/svd/nrf52840.svd and nrf52833.svd (CMSIS-SVD 1.3) from the
// compact description in resources/svd/nrf52840.source.mjs.
//
// Why generate: the register tables follow a handful of patterns (tasks, events, interrupt
// enables, pin arrays) that are error-prone to repeat by hand in XML; the source states each
// fact from the nRF52840 Product Specification once. The committed .svd files are what tools
// and the emulator read; scripts/svd-gen.test.mjs checks they equal this script's output, so
// edit the source and regenerate rather than editing the XML.
//
// The generator also checks the description: names are C identifiers, fields fit their
// register and do not overlap, enumerated values fit their field, registers do not collide.
//
// Usage:
//   node scripts/svd-gen.mjs           write both files
//   node scripts/svd-gen.mjs --check   exit 1 (naming the file) when a committed file is stale
//   import { generateSvd } from './svd-gen.mjs'; generateSvd('nrf52833') -> XML text
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { device } from '../resources/svd/nrf52840.source.mjs';

export const VARIANTS = ['nrf52840', 'nrf52833'];
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const svdPath = (variant) => join(root, 'resources', 'svd', `${variant}.svd`);

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A register or cluster name: identifier with an optional [%s] array marker. */
const ARRAY_IDENT = /^[A-Za-z_][A-Za-z0-9_]*(\[%s\])?$/;

const hex = (n, digits) => `0x${(n >>> 0).toString(16).toUpperCase().padStart(digits, '0')}`;
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

class Xml {
  lines = [];
  depth = 0;
  open(tag, attrs = '') {
    this.lines.push(`${'  '.repeat(this.depth)}<${tag}${attrs}>`);
    this.depth++;
  }
  close(tag) {
    this.depth--;
    this.lines.push(`${'  '.repeat(this.depth)}</${tag}>`);
  }
  leaf(tag, value) {
    if (value === undefined || value === null || value === '') return;
    this.lines.push(`${'  '.repeat(this.depth)}<${tag}>${esc(String(value))}</${tag}>`);
  }
}

function fail(where, problem) {
  throw new Error(`svd-gen: ${where}: ${problem}`);
}

function writeEnums(x, f, where) {
  if (f.values === undefined) return;
  const groups = Array.isArray(f.values) ? f.values : [{ usage: undefined, values: f.values }];
  for (const g of groups) {
    x.open('enumeratedValues');
    x.leaf('usage', g.usage);
    for (const [name, value] of Object.entries(g.values)) {
      if (!IDENT.test(name)) fail(where, `enumerated value name '${name}' is not an identifier`);
      if (f.width < 32 && value >= 2 ** f.width)
        fail(where, `enumerated value ${name}=${value} does not fit ${f.width} bits`);
      // One line per value keeps the file readable (and about half the size).
      x.lines.push(
        `${'  '.repeat(x.depth)}<enumeratedValue><name>${name}</name><value>${hex(value, 1)}</value></enumeratedValue>`,
      );
    }
    x.close('enumeratedValues');
  }
}

function writeRegister(x, r, name, offset, dim, where) {
  if (!ARRAY_IDENT.test(name)) fail(where, `register name '${name}' is not an identifier`);
  if (name.includes('[%s]') !== (dim !== undefined))
    fail(where, `register '${name}' needs [%s] exactly when it has a dim`);
  x.open('register');
  if (dim) {
    x.leaf('dim', dim[0]);
    x.leaf('dimIncrement', hex(dim[1], 1));
    x.leaf('dimIndex', `0-${dim[0] - 1}`);
  }
  x.leaf('name', name);
  x.leaf('description', r.description);
  x.leaf('alternateRegister', r.alternateRegister);
  x.leaf('addressOffset', hex(offset, 3));
  // size (32) and resetMask (0xFFFFFFFF) are inherited from the device element.
  x.leaf('access', r.access);
  x.leaf('resetValue', hex(r.reset, 8));
  x.leaf('modifiedWriteValues', r.modifiedWriteValues);
  x.leaf('readAction', r.readAction);
  if (r.fields.length > 0) {
    x.open('fields');
    let used = 0n;
    for (const f of [...r.fields].sort((a, b) => a.lsb - b.lsb)) {
      const fw = `${where} field ${f.name}`;
      if (!IDENT.test(f.name)) fail(fw, 'field name is not an identifier');
      if (f.lsb < 0 || f.width < 1 || f.lsb + f.width > 32) fail(fw, 'bits do not fit 32');
      const mask = ((1n << BigInt(f.width)) - 1n) << BigInt(f.lsb);
      if (used & mask) fail(fw, 'overlaps another field');
      used |= mask;
      x.open('field');
      x.leaf('name', f.name);
      x.leaf('description', f.description);
      x.leaf('bitOffset', f.lsb);
      x.leaf('bitWidth', f.width);
      x.leaf('access', f.access);
      x.leaf('modifiedWriteValues', f.modifiedWriteValues);
      writeEnums(x, f, fw);
      x.close('field');
    }
    x.close('fields');
  }
  x.close('register');
}

/** Group dotted names into clusters (one level): RXD.PTR -> cluster RXD, register PTR. */
function layout(registers, where) {
  const items = [];
  const clusters = new Map();
  for (const r of [...registers].sort((a, b) => a.offset - b.offset)) {
    const dot = r.name.indexOf('.');
    if (dot < 0) {
      items.push({ kind: 'register', r, offset: r.offset });
      continue;
    }
    const key = r.name.slice(0, dot);
    const member = r.name.slice(dot + 1);
    if (member.includes('.')) fail(where, `'${r.name}': only one cluster level is supported`);
    let c = clusters.get(key);
    if (!c) {
      c = { kind: 'cluster', name: key, members: [], offset: r.offset, dim: undefined };
      clusters.set(key, c);
      items.push(c);
    }
    if (key.includes('[%s]')) {
      if (!r.dim) fail(where, `'${r.name}': cluster array member without dim`);
      if (c.dim && (c.dim[0] !== r.dim[0] || c.dim[1] !== r.dim[1]))
        fail(where, `'${r.name}': members of cluster ${key} disagree on dim`);
      c.dim = r.dim;
    }
    c.members.push({ r, name: member });
  }
  return items;
}

function writePeripheral(x, p, byName) {
  const where = `peripheral ${p.name}`;
  if (!IDENT.test(p.name)) fail(where, 'name is not an identifier');
  const from = p.derivedFrom ? byName.get(p.derivedFrom) : undefined;
  if (p.derivedFrom && !from) fail(where, `derivedFrom '${p.derivedFrom}' is not defined earlier`);
  x.open('peripheral', p.derivedFrom ? ` derivedFrom="${p.derivedFrom}"` : '');
  x.leaf('name', p.name);
  x.leaf('description', p.description ?? from?.description);
  x.leaf('alternatePeripheral', p.alternatePeripheral);
  x.leaf('groupName', p.group ?? from?.group);
  x.leaf('baseAddress', hex(p.base, 8));
  const [blockOffset, blockSize] = p.block ?? from?.block ?? [0, 0x1000];
  x.open('addressBlock');
  x.leaf('offset', hex(blockOffset, 1));
  x.leaf('size', hex(blockSize, 1));
  x.leaf('usage', 'registers');
  x.close('addressBlock');
  if (p.irq) {
    if (!IDENT.test(p.irq)) fail(where, `interrupt name '${p.irq}' is not an identifier`);
    x.open('interrupt');
    x.leaf('name', p.irq);
    x.leaf('description', `Interrupt of ${p.irq.replace(/_/g, '/')} (peripheral ID)`);
    x.leaf('value', (p.base >>> 12) & 0x3f);
    x.close('interrupt');
  }
  if (!p.derivedFrom && p.registers.length > 0) {
    const names = new Set();
    for (const r of p.registers) {
      if (names.has(r.name)) fail(where, `register ${r.name} appears twice`);
      names.add(r.name);
      if (r.offset % 4 !== 0) fail(where, `register ${r.name} offset is not word aligned`);
    }
    x.open('registers');
    for (const item of layout(p.registers, where)) {
      if (item.kind === 'register') {
        writeRegister(x, item.r, item.r.name, item.r.offset, item.r.dim, `${where} ${item.r.name}`);
        continue;
      }
      if (!ARRAY_IDENT.test(item.name)) fail(where, `cluster name '${item.name}' is not valid`);
      x.open('cluster');
      if (item.dim) {
        x.leaf('dim', item.dim[0]);
        x.leaf('dimIncrement', hex(item.dim[1], 1));
        x.leaf('dimIndex', `0-${item.dim[0] - 1}`);
      }
      x.leaf('name', item.name);
      x.leaf('description', `${item.name.replace('[%s]', '[n]')} registers`);
      x.leaf('addressOffset', hex(item.offset, 3));
      for (const m of item.members)
        writeRegister(
          x,
          m.r,
          m.name,
          m.r.offset - item.offset,
          item.dim ? undefined : m.r.dim,
          `${where} ${m.r.name}`,
        );
      x.close('cluster');
    }
    x.close('registers');
  }
  x.close('peripheral');
}

/** The SVD text for `variant` ('nrf52840' or 'nrf52833'). */
export function generateSvd(variant = 'nrf52840') {
  return renderDevice(device(variant));
}

/** The SVD text for a device description in the source's shape (see nrf52840.source.mjs). */
export function renderDevice(d) {
  const x = new Xml();
  x.lines.push('<?xml version="1.0" encoding="utf-8"?>');
  x.lines.push(
    `<!-- ${d.name}.svd: generated by scripts/svd-gen.mjs from resources/svd/nrf52840.source.mjs; do not edit. -->`,
  );
  x.open(
    'device',
    ' schemaVersion="1.3" xmlns:xs="http://www.w3.org/2001/XMLSchema-instance" xs:noNamespaceSchemaLocation="CMSIS-SVD.xsd"',
  );
  x.leaf('vendor', 'Nordic Semiconductor');
  x.leaf('vendorID', 'Nordic');
  x.leaf('name', d.name);
  x.leaf('series', 'nrf52');
  x.leaf('version', d.version);
  x.leaf('description', d.description);
  x.open('cpu');
  x.leaf('name', 'CM4');
  x.leaf('revision', 'r0p1');
  x.leaf('endian', 'little');
  x.leaf('mpuPresent', 'true');
  x.leaf('fpuPresent', 'true');
  x.leaf('nvicPrioBits', 3);
  x.leaf('vendorSystickConfig', 'false');
  x.close('cpu');
  x.leaf('addressUnitBits', 8);
  x.leaf('width', 32);
  x.leaf('size', 32);
  x.leaf('access', 'read-write');
  x.leaf('resetValue', '0x00000000');
  x.leaf('resetMask', '0xFFFFFFFF');
  x.open('peripherals');
  const byName = new Map();
  for (const p of d.peripherals) {
    if (byName.has(p.name)) fail(`peripheral ${p.name}`, 'defined twice');
    writePeripheral(x, p, byName);
    byName.set(p.name, p);
  }
  for (const p of d.peripherals)
    if (p.alternatePeripheral && !byName.has(p.alternatePeripheral))
      fail(`peripheral ${p.name}`, `alternatePeripheral '${p.alternatePeripheral}' is missing`);
  x.close('peripherals');
  x.close('device');
  return `${x.lines.join('\n')}\n`;
}

function main(argv) {
  const check = argv.includes('--check');
  let stale = false;
  for (const v of VARIANTS) {
    const text = generateSvd(v);
    const path = svdPath(v);
    if (check) {
      let old = '';
      try {
        old = readFileSync(path, 'utf8');
      } catch {
        // missing counts as stale
      }
      if (old !== text) {
        console.error(`${path} is stale: run node scripts/svd-gen.mjs`);
        stale = true;
      }
    } else {
      writeFileSync(path, text);
      console.log(`wrote ${path}`);
    }
  }
  return stale ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2));
}
