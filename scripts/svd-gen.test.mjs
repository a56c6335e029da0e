// The SVD generator: the committed resources/svd/*.svd files are exactly its output (so nobody
// edits the XML by hand and lets it drift from the source), and it refuses descriptions that
// would make a broken SVD (bad identifiers, overlapping or oversized fields, wide enum values,
// duplicate registers, dangling derivedFrom/alternatePeripheral).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fld, reg } from '../resources/svd/nrf52840.source.mjs';
import { VARIANTS, generateSvd, renderDevice, svdPath } from './svd-gen.mjs';

const toy = (registers, extra = {}) => ({
  name: 'toy',
  version: '1',
  description: 'toy',
  peripherals: [{ name: 'T', base: 0x40025000, irq: 'T', registers, ...extra }],
});

describe('svd-gen', () => {
  it.each(VARIANTS)(
    '%s.svd is committed exactly as generated (run node scripts/svd-gen.mjs)',
    (v) => {
      // Compared as a boolean: a 1 MB diff would bury the message.
      const fresh = readFileSync(svdPath(v), 'utf8') === generateSvd(v);
      expect(fresh, `${svdPath(v)} is stale: run node scripts/svd-gen.mjs`).toBe(true);
    },
  );

  it('derives the interrupt number from the base address (peripheral ID)', () => {
    const xml = renderDevice(toy([reg('R', 0x500, 'read-write', 0, 'r')]));
    expect(xml).toMatch(
      /<name>T<\/name>\s*<description>Interrupt of T \(peripheral ID\)<\/description>\s*<value>37<\/value>/,
    );
  });

  it('groups dotted names into clusters, with the array on the cluster when it has [%s]', () => {
    const xml = renderDevice(
      toy([
        reg('RXD.PTR', 0x534, 'read-write', 0, 'p'),
        reg('RXD.AMOUNT', 0x53c, 'read-only', 0, 'a'),
        reg('CH[%s].EEP', 0x510, 'read-write', 0, 'e', [], { dim: [4, 8] }),
        reg('CH[%s].TEP', 0x514, 'read-write', 0, 't', [], { dim: [4, 8] }),
      ]),
    );
    expect(xml).toMatch(
      /<cluster>\s*<dim>4<\/dim>\s*<dimIncrement>0x8<\/dimIncrement>\s*<dimIndex>0-3<\/dimIndex>\s*<name>CH\[%s\]<\/name>/,
    );
    expect(xml).toMatch(
      /<name>TEP<\/name>\s*<description>t<\/description>\s*<addressOffset>0x004<\/addressOffset>/,
    );
    expect(xml).toMatch(
      /<name>AMOUNT<\/name>\s*<description>a<\/description>\s*<addressOffset>0x008<\/addressOffset>/,
    );
  });

  it('rejects what would make a broken SVD, naming the register and field', () => {
    const bad = (registers, extra) => () => renderDevice(toy(registers, extra));
    expect(bad([reg('R', 0, 'read-write', 0, '', [fld('A', 0, 4), fld('B', 3, 2)])])).toThrow(
      /peripheral T R field B: overlaps another field/,
    );
    expect(bad([reg('R', 0, 'read-write', 0, '', [fld('A', 30, 4)])])).toThrow(
      /field A: bits do not fit 32/,
    );
    expect(bad([reg('R', 0, 'read-write', 0, '', [fld('A', 0, 2, { Big: 4 })])])).toThrow(
      /enumerated value Big=4 does not fit 2 bits/,
    );
    expect(bad([reg('R', 0, 'read-write', 0, '', [fld('A', 0, 2, { '1V8': 0 })])])).toThrow(
      /'1V8' is not an identifier/,
    );
    expect(bad([reg('R', 0, 'read-write', 0, ''), reg('R', 4, 'read-write', 0, '')])).toThrow(
      /register R appears twice/,
    );
    expect(bad([reg('R', 2, 'read-write', 0, '')])).toThrow(/not word aligned/);
    expect(bad([reg('R[%s]', 0, 'read-write', 0, '')])).toThrow(
      /needs \[%s\] exactly when it has a dim/,
    );
    expect(bad([], { derivedFrom: 'NOPE' })).toThrow(/derivedFrom 'NOPE'/);
    expect(bad([], { alternatePeripheral: 'NOPE' })).toThrow(/alternatePeripheral 'NOPE'/);
  });
});
