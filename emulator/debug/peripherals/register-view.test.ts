// The register view model on the chip descriptions we ship: read policy, decoding, encoding of
// field writes (read-modify-write against write-one-to-set/clear), the tree, and the SVD's
// agreement with the machine's memory map.
import { describe, expect, it } from 'vitest';
import nrf52840Xml from '../../../resources/svd/nrf52840.svd?raw';
import nrf52833Xml from '../../../resources/svd/nrf52833.svd?raw';
import { createSession } from '../../session/session';
import { parseSvd, SvdError, type SvdDevice } from '../../peripherals/nrf/svd';
import {
  decodeFields,
  encodeFieldWrite,
  findRegister,
  parseFieldInput,
  readPolicy,
  registerTree,
  svdDisagreements,
  writeRefusal,
} from './register-view';

const nrf52840 = parseSvd(nrf52840Xml);
const nrf52833 = parseSvd(nrf52833Xml);

const reg = (d: SvdDevice, p: string, r: string) => {
  const f = findRegister(d, p, r);
  if (!f) throw new Error(`${p}.${r} missing`);
  return f.register;
};

describe('read policy', () => {
  it('never reads a FIFO register implicitly: the legacy UART RXD is read on demand', () => {
    const p = readPolicy(reg(nrf52840, 'UART0', 'RXD'));
    expect(p.kind).toBe('on-demand');
    expect(p.kind === 'on-demand' && p.reason).toMatch(/FIFO pops.*readAction on RXD/);
  });

  it('reads plain state live and skips write-only registers', () => {
    expect(readPolicy(reg(nrf52840, 'UARTE0', 'ENABLE')).kind).toBe('live');
    expect(readPolicy(reg(nrf52840, 'UARTE0', 'TXD.PTR')).kind).toBe('live');
    expect(readPolicy(reg(nrf52840, 'UART0', 'TXD'))).toEqual({
      kind: 'unreadable',
      reason: 'write-only register',
    });
  });

  it('follows readAction on a field too (clear-on-read status in a user SVD)', () => {
    const d = parseSvd(
      svdWith(
        `<register><name>STATUS</name><addressOffset>0x4</addressOffset><fields>
          <field><name>OVR</name><bitOffset>0</bitOffset><bitWidth>1</bitWidth><readAction>clear</readAction></field>
         </fields></register>`,
      ),
    );
    const p = readPolicy(d.peripherals[0]!.registers[0]!);
    expect(p).toEqual({
      kind: 'on-demand',
      reason: 'reading clears it (SVD readAction on STATUS.OVR)',
    });
  });

  it('lists exactly the read-sensitive registers the nRF52 SVDs declare', () => {
    for (const d of [nrf52840, nrf52833]) {
      const onDemand = d.peripherals.flatMap((p) =>
        p.registers
          .filter((r) => readPolicy(r).kind === 'on-demand')
          .map((r) => `${p.name}.${r.name}`),
      );
      expect(onDemand).toEqual(['UART0.RXD']);
    }
  });
});

describe('decoding', () => {
  it('names enumerated values and keeps descriptions', () => {
    const [enable] = decodeFields(reg(nrf52840, 'UARTE0', 'ENABLE'), 8);
    expect(enable).toMatchObject({ name: 'ENABLE', value: 8, enumName: 'Enabled', readOnly: null });
    expect(decodeFields(reg(nrf52840, 'UARTE0', 'ENABLE'), 0)[0]!.enumName).toBe('Disabled');
    // A value without a name stays a number.
    expect(decodeFields(reg(nrf52840, 'UARTE0', 'ENABLE'), 3)[0]!.enumName).toBeUndefined();
  });

  it('splits a pin mask into its fields', () => {
    const f = decodeFields(reg(nrf52840, 'P0', 'OUT'), (1 << 14) | 1);
    expect(f).toHaveLength(32);
    expect(f.filter((x) => x.value === 1).map((x) => x.name)).toEqual(['PIN0', 'PIN14']);
  });

  it('marks read-only fields with the reason', () => {
    const amount = reg(nrf52840, 'UARTE0', 'TXD.AMOUNT');
    expect(decodeFields(amount, 5)[0]!.readOnly).toMatch(/read-only/);
    expect(writeRefusal(amount)).toBe('TXD.AMOUNT is read-only (SVD access read-only)');
  });
});

describe('encoding a field write', () => {
  it('does a read-modify-write on an ordinary register', () => {
    const config = reg(nrf52840, 'UARTE0', 'CONFIG');
    const hwfc = config.fields.find((f) => f.name === 'HWFC')!;
    const r = encodeFieldWrite(config, 0xe, 'HWFC', 'Enabled');
    expect(r.ok && r.value.value).toBe(0xe | (1 << hwfc.bitOffset));
    expect(r.ok && r.value.how).toMatch(/read-modify-write of 0xe/);
  });

  it('writes only the field on a write-one-to-clear register (GPIO OUTCLR)', () => {
    const outclr = reg(nrf52840, 'P0', 'OUTCLR');
    // All other pins read back as set: writing them back would clear them all.
    const r = encodeFieldWrite(outclr, 0xffffffff, 'PIN14', 1);
    expect(r).toMatchObject({ ok: true, value: { value: 1 << 14 } });
    expect(r.ok && r.value.how).toMatch(/takes ones to set or clear/);
  });

  it('refuses read-only fields and values that do not fit, naming why', () => {
    expect(encodeFieldWrite(reg(nrf52840, 'UARTE0', 'TXD.AMOUNT'), 0, 'AMOUNT', 1)).toEqual({
      ok: false,
      error: 'TXD.AMOUNT.AMOUNT is read-only (SVD access read-only)',
    });
    const enable = reg(nrf52840, 'UARTE0', 'ENABLE');
    expect(encodeFieldWrite(enable, 0, 'ENABLE', 16).ok).toBe(false);
    expect(encodeFieldWrite(enable, 0, 'NOPE', 1)).toEqual({
      ok: false,
      error: 'ENABLE has no field NOPE',
    });
  });

  it('parses names, decimal, hex and binary, and says what it accepts', () => {
    const f = reg(nrf52840, 'UARTE0', 'ENABLE').fields[0]!;
    expect(parseFieldInput(f, 'enabled')).toEqual({ ok: true, value: 8 });
    expect(parseFieldInput(f, '0x8')).toEqual({ ok: true, value: 8 });
    expect(parseFieldInput(f, '0b1000')).toEqual({ ok: true, value: 8 });
    expect(parseFieldInput(f, 'on')).toEqual({
      ok: false,
      error: "'on' is not a number nor one of Disabled, Enabled for ENABLE",
    });
  });
});

describe('tree', () => {
  it('groups cluster registers under their cluster and sorts peripherals by address', () => {
    const tree = registerTree(nrf52840);
    const bases = tree.map((p) => p.peripheral.baseAddress);
    expect(bases).toEqual([...bases].sort((a, b) => a - b));
    const uarte = tree.find((p) => p.label === 'UARTE0')!;
    const txd = uarte.children.find((c) => c.kind === 'cluster' && c.label === 'TXD');
    expect(txd && txd.kind === 'cluster' && txd.children.map((c) => c.label)).toEqual([
      'PTR',
      'MAXCNT',
      'AMOUNT',
    ]);
    const ptr = txd && txd.kind === 'cluster' ? txd.children[0] : undefined;
    expect(ptr).toMatchObject({ kind: 'register', address: 0x40002544, peripheral: 'UARTE0' });
  });
});

describe('agreement with the machine', () => {
  it('the SVDs we ship agree with their machines', () => {
    for (const [machine, d] of [
      ['nrf52840dk', nrf52840],
      ['microbit-v2', nrf52833],
    ] as const) {
      const s = createSession({ machine });
      if (!s.ok) throw new Error(s.error);
      expect(svdDisagreements(d, s.value.machine.memoryMap, d.name)).toEqual([]);
    }
  });

  it('names a peripheral outside the map with its line, and a user SVD for another chip', () => {
    const s = createSession({ machine: 'nrf52840dk' });
    if (!s.ok) throw new Error(s.error);
    const d = parseSvd(
      svdWith('<register><name>A</name><addressOffset>0</addressOffset></register>', 0x20000000),
    );
    expect(svdDisagreements(d, s.value.machine.memoryMap, 'nrf52840')).toEqual([
      'the SVD describes OTHERCHIP, but the target is nrf52840: registers may be named wrongly',
      'peripheral TOY (line 4) at 0x20000000: 0x20000000 is in ram (RAM), not a register',
    ]);
    const far = parseSvd(
      svdWith('<register><name>A</name><addressOffset>0</addressOffset></register>', 0x60000000),
    );
    expect(svdDisagreements(far, s.value.machine.memoryMap)).toEqual([
      'peripheral TOY (line 4) at 0x60000000: 0x60000000 is not mapped on this machine',
    ]);
  });

  it('a malformed SVD is an error naming its line', () => {
    const bad = svdWith('<register><name>A</name><addressOffset>zz</addressOffset></register>');
    expect(() => parseSvd(bad)).toThrow(SvdError);
    expect(() => parseSvd(bad)).toThrow(/line 7.*<addressOffset> is not a number: 'zz'/);
  });
});

function svdWith(registers: string, base = 0x40000000): string {
  return [
    '<?xml version="1.0"?>',
    '<device><name>OTHERCHIP</name>',
    '<peripherals>',
    `<peripheral><name>TOY</name><baseAddress>0x${base.toString(16)}</baseAddress>`,
    '<addressBlock><offset>0</offset><size>0x1000</size><usage>registers</usage></addressBlock>',
    '<registers>',
    registers,
    '</registers></peripheral></peripherals></device>',
  ].join('\n');
}
