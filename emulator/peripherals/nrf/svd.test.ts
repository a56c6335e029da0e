/**
 * The SVD reader and register namer: CMSIS-SVD semantics (inherited defaults, clusters, dim
 * arrays, derivedFrom, the three bit-range notations, enumerated values by usage) on small
 * inline documents, clear errors for malformed ones, and the chip files we ship
 * (resources/svd/nrf52840.svd, nrf52833.svd) against the PS instantiation table.
 */
// The .svd files are imported as text through Vite's ?raw suffix (vitest runs Vite).
/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest';
import nrf52833Xml from '../../../resources/svd/nrf52833.svd?raw';
import nrf52840Xml from '../../../resources/svd/nrf52840.svd?raw';
import { RegisterNamer, SvdError, parseSvd, parseSvdNumber, type SvdDevice } from './svd';

/** A device with the given <peripherals> content. */
const doc = (peripherals: string, deviceExtra = ''): string => `<?xml version="1.0"?>
<device schemaVersion="1.3">
  <name>toy</name>
  <addressUnitBits>8</addressUnitBits>
  <width>32</width>
  <size>32</size>
  <access>read-write</access>
  <resetValue>0</resetValue>
  <resetMask>0xFFFFFFFF</resetMask>
  ${deviceExtra}
  <peripherals>
${peripherals}
  </peripherals>
</device>`;

const TOY = doc(`
    <peripheral>
      <name>TOY0</name>
      <description>A toy peripheral</description>
      <baseAddress>0x40025000</baseAddress>
      <access>read-only</access>
      <addressBlock><offset>0</offset><size>0x1000</size><usage>registers</usage></addressBlock>
      <interrupt><name>TOY0</name><value>37</value></interrupt>
      <registers>
        <register>
          <name>TASKS_GO</name>
          <addressOffset>0x000</addressOffset>
          <access>write-only</access>
          <fields><field><name>TASKS_GO</name><bitOffset>0</bitOffset><bitWidth>1</bitWidth>
            <enumeratedValues><usage>write</usage>
              <enumeratedValue><name>Trigger</name><value>1</value></enumeratedValue>
            </enumeratedValues></field></fields>
        </register>
        <register>
          <name>STATUS</name>
          <addressOffset>0x400</addressOffset>
          <resetValue>0x5</resetValue>
        </register>
        <register>
          <name>ENABLE</name>
          <addressOffset>0x500</addressOffset>
          <access>read-write</access>
          <fields>
            <field><name>ENABLE</name><bitRange>[3:0]</bitRange>
              <enumeratedValues>
                <enumeratedValue><name>Disabled</name><value>0</value></enumeratedValue>
                <enumeratedValue><name>Enabled</name><value>8</value></enumeratedValue>
              </enumeratedValues></field>
            <field><name>MODE</name><lsb>8</lsb><msb>9</msb>
              <enumeratedValues>
                <enumeratedValue><name>Fast</name><value>#10</value></enumeratedValue>
              </enumeratedValues></field>
          </fields>
        </register>
        <register>
          <dim>3</dim><dimIncrement>4</dimIncrement>
          <name>CC[%s]</name>
          <addressOffset>0x540</addressOffset>
          <access>read-write</access>
        </register>
        <register>
          <dim>2</dim><dimIncrement>4</dimIncrement><dimIndex>A,B</dimIndex>
          <name>GAIN%s</name>
          <addressOffset>0x560</addressOffset>
        </register>
        <register>
          <name>AAA_ALIAS</name>
          <alternateRegister>STATUS</alternateRegister>
          <addressOffset>0x400</addressOffset>
        </register>
        <register derivedFrom="STATUS">
          <name>STATUS2</name>
          <addressOffset>0x404</addressOffset>
        </register>
        <cluster>
          <name>RXD</name>
          <addressOffset>0x534</addressOffset>
          <access>read-write</access>
          <register><name>PTR</name><addressOffset>0</addressOffset></register>
          <register><name>AMOUNT</name><addressOffset>8</addressOffset><access>read-only</access></register>
        </cluster>
        <cluster>
          <dim>2</dim><dimIncrement>8</dimIncrement><dimIndex>0-1</dimIndex>
          <name>CH[%s]</name>
          <addressOffset>0x600</addressOffset>
          <register><name>EEP</name><addressOffset>0</addressOffset><access>read-write</access></register>
          <register><name>TEP</name><addressOffset>4</addressOffset><access>read-write</access></register>
        </cluster>
      </registers>
    </peripheral>
    <peripheral derivedFrom="TOY0">
      <name>TOY1</name>
      <baseAddress>0x40026000</baseAddress>
      <interrupt><name>TOY1</name><value>38</value></interrupt>
    </peripheral>
    <peripheral>
      <name>TOYALT</name>
      <alternatePeripheral>TOY0</alternatePeripheral>
      <baseAddress>0x40025000</baseAddress>
      <registers>
        <register><name>ENABLE</name><addressOffset>0x500</addressOffset></register>
        <register><name>ONLYALT</name><addressOffset>0x508</addressOffset></register>
      </registers>
    </peripheral>`);

const errorOf = (xml: string): SvdError => {
  try {
    parseSvd(xml);
  } catch (e) {
    if (e instanceof SvdError) return e;
    throw e;
  }
  throw new Error('parseSvd accepted the document');
};

const reg = (d: SvdDevice, p: string, r: string) => {
  const found = d.peripherals.find((x) => x.name === p)?.registers.find((x) => x.name === r);
  if (!found) throw new Error(`${p}.${r} missing`);
  return found;
};

describe('parseSvdNumber', () => {
  it('reads decimal, 0x hex, # binary and k/M scales; rejects anything else', () => {
    expect(parseSvdNumber('42')).toBe(42);
    expect(parseSvdNumber('0x1F')).toBe(31);
    expect(parseSvdNumber('0XfF')).toBe(255);
    expect(parseSvdNumber('#101')).toBe(5);
    expect(parseSvdNumber('4k')).toBe(4096);
    expect(parseSvdNumber('1M')).toBe(1 << 20);
    expect(parseSvdNumber('0xFFFFFFFF')).toBe(0xffffffff);
    expect(parseSvdNumber('0x100000000')).toBeUndefined();
    expect(parseSvdNumber('12abc')).toBeUndefined();
    expect(parseSvdNumber('-1')).toBeUndefined();
    expect(parseSvdNumber('')).toBeUndefined();
  });
});

describe('parseSvd', () => {
  const d = parseSvd(TOY);

  it('inherits size, access and reset value device -> peripheral -> cluster -> register', () => {
    expect(reg(d, 'TOY0', 'STATUS')).toMatchObject({
      addressOffset: 0x400,
      size: 32,
      access: 'read-only', // from the peripheral
      resetValue: 5,
      resetMask: 0xffffffff,
    });
    expect(reg(d, 'TOY0', 'TASKS_GO').access).toBe('write-only');
    expect(reg(d, 'TOY0', 'RXD.PTR').access).toBe('read-write'); // from the cluster
    expect(reg(d, 'TOY0', 'RXD.AMOUNT').access).toBe('read-only'); // its own
  });

  it('flattens clusters into dotted names with absolute offsets', () => {
    expect(reg(d, 'TOY0', 'RXD.PTR').addressOffset).toBe(0x534);
    expect(reg(d, 'TOY0', 'RXD.AMOUNT').addressOffset).toBe(0x53c);
  });

  it('expands register and cluster arrays (index list, range or 0..n-1)', () => {
    const names = d.peripherals[0]!.registers.map(
      (r) => `${r.name}@${r.addressOffset.toString(16)}`,
    );
    expect(names).toEqual(
      expect.arrayContaining([
        'CC[0]@540',
        'CC[1]@544',
        'CC[2]@548',
        'GAINA@560',
        'GAINB@564',
        'CH[0].EEP@600',
        'CH[0].TEP@604',
        'CH[1].EEP@608',
        'CH[1].TEP@60c',
      ]),
    );
    expect(names).not.toContain('CC[3]@54c');
  });

  it('keeps registers sorted by offset', () => {
    const offs = d.peripherals[0]!.registers.map((r) => r.addressOffset);
    expect(offs).toEqual([...offs].sort((a, b) => a - b));
  });

  it('reads bitRange, lsb/msb and bitOffset/bitWidth fields with their enumerated values', () => {
    const en = reg(d, 'TOY0', 'ENABLE');
    expect(en.fields.map((f) => [f.name, f.bitOffset, f.bitWidth])).toEqual([
      ['ENABLE', 0, 4],
      ['MODE', 8, 2],
    ]);
    expect(en.fields[0]!.enumeratedValues[0]).toEqual({
      usage: 'read-write',
      values: [
        { name: 'Disabled', value: 0 },
        { name: 'Enabled', value: 8 },
      ],
    });
    expect(en.fields[1]!.enumeratedValues[0]!.values[0]!.value).toBe(2);
    expect(reg(d, 'TOY0', 'TASKS_GO').fields[0]!.enumeratedValues[0]!.usage).toBe('write');
  });

  it('resolves register derivedFrom from a sibling', () => {
    expect(reg(d, 'TOY0', 'STATUS2')).toMatchObject({ addressOffset: 0x404, resetValue: 5 });
  });

  it('resolves peripheral derivedFrom: registers copied, own name, base and interrupts', () => {
    const t1 = d.peripherals.find((p) => p.name === 'TOY1')!;
    expect(t1.derivedFrom).toBe('TOY0');
    expect(t1.baseAddress).toBe(0x40026000);
    expect(t1.interrupts).toEqual([{ name: 'TOY1', value: 38 }]);
    expect(t1.description).toBe('A toy peripheral');
    expect(t1.registers.map((r) => r.name)).toEqual(d.peripherals[0]!.registers.map((r) => r.name));
  });

  it('reads the cpu element', () => {
    const withCpu = parseSvd(
      doc(
        '<peripheral><name>P</name><baseAddress>0</baseAddress></peripheral>',
        '<cpu><name>CM4</name><revision>r0p1</revision><endian>little</endian><mpuPresent>true</mpuPresent><fpuPresent>1</fpuPresent><nvicPrioBits>3</nvicPrioBits><vendorSystickConfig>false</vendorSystickConfig></cpu>',
      ),
    );
    expect(withCpu.cpu).toEqual({
      name: 'CM4',
      revision: 'r0p1',
      endian: 'little',
      mpuPresent: true,
      fpuPresent: true,
      nvicPrioBits: 3,
      vendorSystickConfig: false,
    });
  });
});

describe('parseSvd errors name the element and line', () => {
  const one = (registers: string, extra = '') =>
    doc(`
    <peripheral>
      <name>BAD</name>${extra}
      <baseAddress>0x40000000</baseAddress>
      <registers>
${registers}
      </registers>
    </peripheral>`);

  it('reports malformed XML with its line', () => {
    const e = errorOf('<device>\n<name>x</name>\n<peripherals>\n</device>');
    expect(e.message).toMatch(/line [34]/);
  });

  it('reports a missing root element', () => {
    expect(errorOf('<other/>').message).toMatch(/no single <device>/);
  });

  it('reports a missing required element with the peripheral and register path', () => {
    const e = errorOf(one('<register><name>R</name></register>'));
    expect(e.where).toMatch(/peripheral BAD > register R \(line \d+\)/);
    expect(e.problem).toBe('missing <addressOffset>');
    const line = Number(/line (\d+)/.exec(e.where)![1]);
    expect(one('<register><name>R</name></register>').split('\n')[line - 1]).toContain(
      '<register>',
    );
  });

  it('reports a missing baseAddress', () => {
    expect(errorOf(doc('<peripheral><name>P</name></peripheral>')).message).toMatch(
      /peripheral P.*missing <baseAddress>/,
    );
  });

  it('reports numbers that are not numbers', () => {
    expect(
      errorOf(one('<register><name>R</name><addressOffset>0x5G0</addressOffset></register>'))
        .message,
    ).toMatch(/register R.*<addressOffset> is not a number: '0x5G0'/);
  });

  it('reports a bad access value', () => {
    expect(
      errorOf(
        one(
          '<register><name>R</name><addressOffset>0</addressOffset><access>rw</access></register>',
        ),
      ).message,
    ).toMatch(/<access> must be one of/);
  });

  it('reports overlapping fields and fields outside the register', () => {
    const fields = (f: string) =>
      one(
        `<register><name>R</name><addressOffset>0</addressOffset><fields>${f}</fields></register>`,
      );
    expect(
      errorOf(
        fields(
          '<field><name>A</name><bitRange>[3:0]</bitRange></field><field><name>B</name><bitOffset>3</bitOffset><bitWidth>2</bitWidth></field>',
        ),
      ).message,
    ).toMatch(/register R \(line \d+\): field B overlaps another field/);
    expect(
      errorOf(
        fields('<field><name>A</name><bitOffset>30</bitOffset><bitWidth>4</bitWidth></field>'),
      ).message,
    ).toMatch(/field A.*do not fit a 32-bit register/);
    expect(errorOf(fields('<field><name>A</name></field>')).message).toMatch(
      /field A.*needs <bitRange>/,
    );
  });

  it('reports an enumerated value wider than its field', () => {
    expect(
      errorOf(
        one(
          '<register><name>R</name><addressOffset>0</addressOffset><fields><field><name>F</name><bitOffset>0</bitOffset><bitWidth>2</bitWidth><enumeratedValues><enumeratedValue><name>Big</name><value>4</value></enumeratedValue></enumeratedValues></field></fields></register>',
        ),
      ).message,
    ).toMatch(/enumeratedValue Big.*does not fit the field's 2 bits/);
  });

  it('reports duplicate register names, unknown derivedFrom and dim mistakes', () => {
    const r = '<register><name>R</name><addressOffset>0</addressOffset></register>';
    expect(errorOf(one(r + r)).message).toMatch(/register R appears twice/);
    expect(
      errorOf(
        one(
          '<register derivedFrom="NOPE"><name>R</name><addressOffset>0</addressOffset></register>',
        ),
      ).message,
    ).toMatch(/derivedFrom 'NOPE'/);
    expect(
      errorOf(
        one(
          '<register derivedFrom="S"><name>R</name><addressOffset>0</addressOffset></register><register derivedFrom="R"><name>S</name><addressOffset>4</addressOffset></register>',
        ),
      ).message,
    ).toMatch(/derivedFrom '.' leads back to itself/);
    expect(
      errorOf(
        doc(
          '<peripheral derivedFrom="GHOST"><name>P</name><baseAddress>0</baseAddress></peripheral>',
        ),
      ).message,
    ).toMatch(/peripheral P.*derivedFrom 'GHOST'/);
    expect(
      errorOf(
        one('<register><dim>2</dim><name>R[%s]</name><addressOffset>0</addressOffset></register>'),
      ).message,
    ).toMatch(/<dim> without <dimIncrement>/);
    expect(
      errorOf(
        one(
          '<register><dim>3</dim><dimIncrement>4</dimIncrement><dimIndex>A,B</dimIndex><name>R%s</name><addressOffset>0</addressOffset></register>',
        ),
      ).message,
    ).toMatch(/gives 2 names but <dim> is 3/);
    expect(
      errorOf(one('<register><name>R[%s]</name><addressOffset>0</addressOffset></register>'))
        .message,
    ).toMatch(/has %s but there is no <dim>/);
  });

  // Issue 12: <dim>4294967295</dim> exhausted the heap. An array must fit between its offset and
  // the end of the peripheral's address block(s), with elements that do not overlap.
  it('bounds dim arrays by the register offset and the peripheral size, naming the line', () => {
    const block =
      '<addressBlock><offset>0</offset><size>0x1000</size><usage>registers</usage></addressBlock>';
    const big = errorOf(
      one(
        '<register><dim>100000</dim><dimIncrement>4</dimIncrement><name>BIG%s</name><addressOffset>0x800</addressOffset></register>',
        block,
      ),
    );
    expect(big.message).toMatch(/peripheral BAD > register BIG%s \(line \d+\)/);
    expect(big.message).toMatch(
      /<dim> 100000 elements 4 bytes apart from offset 0x800 end at 0x62280, past the end of the peripheral \(0x1000 bytes\)/,
    );
    // Without address blocks the peripheral is taken to span 4 KiB, as the namer does.
    expect(
      errorOf(
        one(
          '<register><dim>1025</dim><dimIncrement>4</dimIncrement><name>R%s</name><addressOffset>0</addressOffset></register>',
        ),
      ).message,
    ).toMatch(
      /<dim> 1025 elements 4 bytes apart from offset 0x0 end at 0x1004, past the end of the peripheral \(0x1000 bytes\)/,
    );
    expect(
      errorOf(
        one(
          '<register><dim>4</dim><dimIncrement>2</dimIncrement><name>R%s</name><addressOffset>0</addressOffset></register>',
        ),
      ).message,
    ).toMatch(
      /<dimIncrement> 2 is smaller than one element \(4 bytes\): the elements would overlap/,
    );
    expect(
      errorOf(
        one(
          '<cluster><dim>3</dim><dimIncrement>0</dimIncrement><name>C%s</name><addressOffset>0</addressOffset><register><name>R</name><addressOffset>0</addressOffset></register></cluster>',
        ),
      ).message,
    ).toMatch(/cluster C%s.*<dimIncrement> 0 is smaller than one element/);
    // Nested arrays: the inner array is bounded at every outer element's offset.
    expect(
      errorOf(
        one(
          '<cluster><dim>1024</dim><dimIncrement>4</dimIncrement><name>C%s</name><addressOffset>0</addressOffset><register><dim>1024</dim><dimIncrement>4</dimIncrement><name>R%s</name><addressOffset>0</addressOffset></register></cluster>',
          block,
        ),
      ).message,
    ).toMatch(/cluster C%s > register R%s.*past the end of the peripheral/);
    expect(
      errorOf(
        one(
          '<register><dim>4294967295</dim><dimIncrement>4</dimIncrement><dimIndex>0-4294967294</dimIndex><name>R%s</name><addressOffset>0</addressOffset></register>',
        ),
      ).message,
    ).toMatch(/<dim> 4294967295 elements/);
    // An array that fits is still read, up to the last byte of the block.
    const fits = parseSvd(
      one(
        '<register><dim>1024</dim><dimIncrement>4</dimIncrement><name>R%s</name><addressOffset>0</addressOffset></register>',
        block,
      ),
    );
    expect(fits.peripherals[0]!.registers).toHaveLength(1024);
  });

  it('refuses the chip file with a 4294967295-element register at once, naming the line', () => {
    // tests' fixture svd-dim-oom.svd: the shipped nrf52840.svd with one register added to FICR.
    const lines = nrf52840Xml.split('\n');
    const at = lines.findIndex((l) => l.includes('<registers>'));
    lines.splice(
      at + 1,
      0,
      '<register><dim>4294967295</dim><dimIncrement>4</dimIncrement><name>HUGE%s</name><addressOffset>0x800</addressOffset></register>',
    );
    const started = Date.now();
    const e = errorOf(lines.join('\n'));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(e.message).toContain(`peripheral FICR > register HUGE%s (line ${at + 2})`);
    expect(e.message).toMatch(/<dim> 4294967295 elements 4 bytes apart from offset 0x800/);
  });

  it('reports an alternatePeripheral that does not exist and duplicate peripherals', () => {
    expect(
      errorOf(
        doc(
          '<peripheral><name>P</name><alternatePeripheral>Q</alternatePeripheral><baseAddress>0</baseAddress></peripheral>',
        ),
      ).message,
    ).toMatch(/alternatePeripheral 'Q' does not exist/);
    const p = '<peripheral><name>P</name><baseAddress>0</baseAddress></peripheral>';
    expect(errorOf(doc(p + p)).message).toMatch(/peripheral P.*already exists/);
  });
});

describe('RegisterNamer', () => {
  const namer = new RegisterNamer(parseSvd(TOY));

  it('names every byte of a register, clusters dotted and arrays indexed', () => {
    expect(namer.name(0x40025000)).toBe('TOY0.TASKS_GO');
    expect(namer.name(0x40025502)).toBe('TOY0.ENABLE');
    expect(namer.name(0x40025548)).toBe('TOY0.CC[2]');
    expect(namer.name(0x4002553c)).toBe('TOY0.RXD.AMOUNT');
    expect(namer.name(0x4002560c)).toBe('TOY0.CH[1].TEP');
    expect(namer.name(0x40026548)).toBe('TOY1.CC[2]');
  });

  it('names unknown offsets inside a peripheral relative to its base, and null outside', () => {
    expect(namer.name(0x400255f0)).toBe('TOY0+0x5F0');
    expect(namer.name(0x40026ffc)).toBe('TOY1+0xFFC');
    expect(namer.name(0x40027000)).toBeNull();
    expect(namer.name(0x20000000)).toBeNull();
  });

  it('names a register, not its alias, even when the alias sorts first', () => {
    expect(namer.name(0x40025400)).toBe('TOY0.STATUS');
  });

  it('prefers the primary peripheral at a shared address unless told otherwise', () => {
    expect(namer.name(0x40025500)).toBe('TOY0.ENABLE');
    expect(namer.name(0x40025500, 'TOYALT')).toBe('TOYALT.ENABLE');
    expect(namer.name(0x40025508)).toBe('TOYALT.ONLYALT');
  });

  it('decodes fields with enumerated names for the access direction', () => {
    expect(namer.describe(0x40025500, 8)).toBe('ENABLE=Enabled');
    expect(namer.describe(0x40025500, 0)).toBe('ENABLE=Disabled');
    expect(namer.describe(0x40025500, 0x208)).toBe('ENABLE=Enabled MODE=Fast');
    expect(namer.describe(0x40025500, 0x103)).toBe('ENABLE=0x3 MODE=0x1');
    expect(namer.describe(0x40025000, 1, 'write')).toBe('TASKS_GO=Trigger');
    expect(namer.describe(0x40025400, 0x1234)).toBe('0x00001234'); // no fields
    expect(namer.describe(0x40027000, 1)).toBeNull();
  });
});

describe('resources/svd/nrf52840.svd', () => {
  const d = parseSvd(nrf52840Xml);
  const namer = new RegisterNamer(d);
  const byName = new Map(d.peripherals.map((p) => [p.name, p]));

  it('describes a Cortex-M4F r0p1 with FPU, MPU and 3 priority bits', () => {
    expect(d.name).toBe('nrf52840');
    expect(d.cpu).toMatchObject({
      name: 'CM4',
      revision: 'r0p1',
      fpuPresent: true,
      mpuPresent: true,
      nvicPrioBits: 3,
    });
    expect(d.addressUnitBits).toBe(8);
    expect(d.width).toBe(32);
  });

  // PS "Instantiation" table: base addresses; the interrupt number is the ID (base bits 12-17).
  const bases: [string, number][] = [
    ['FICR', 0x10000000],
    ['UICR', 0x10001000],
    ['CLOCK', 0x40000000],
    ['POWER', 0x40000000],
    ['RADIO', 0x40001000],
    ['UARTE0', 0x40002000],
    ['UART0', 0x40002000],
    ['SPIM0', 0x40003000],
    ['SPIS0', 0x40003000],
    ['TWIM0', 0x40003000],
    ['TWIS0', 0x40003000],
    ['SPIM1', 0x40004000],
    ['SPIS1', 0x40004000],
    ['TWIM1', 0x40004000],
    ['TWIS1', 0x40004000],
    ['NFCT', 0x40005000],
    ['GPIOTE', 0x40006000],
    ['SAADC', 0x40007000],
    ['TIMER0', 0x40008000],
    ['TIMER1', 0x40009000],
    ['TIMER2', 0x4000a000],
    ['RTC0', 0x4000b000],
    ['TEMP', 0x4000c000],
    ['RNG', 0x4000d000],
    ['ECB', 0x4000e000],
    ['AAR', 0x4000f000],
    ['CCM', 0x4000f000],
    ['WDT', 0x40010000],
    ['RTC1', 0x40011000],
    ['QDEC', 0x40012000],
    ['COMP', 0x40013000],
    ['LPCOMP', 0x40013000],
    ['EGU0', 0x40014000],
    ['EGU1', 0x40015000],
    ['EGU2', 0x40016000],
    ['EGU3', 0x40017000],
    ['EGU4', 0x40018000],
    ['EGU5', 0x40019000],
    ['TIMER3', 0x4001a000],
    ['TIMER4', 0x4001b000],
    ['PWM0', 0x4001c000],
    ['PDM', 0x4001d000],
    ['NVMC', 0x4001e000],
    ['ACL', 0x4001e000],
    ['PPI', 0x4001f000],
    ['MWU', 0x40020000],
    ['PWM1', 0x40021000],
    ['PWM2', 0x40022000],
    ['SPIM2', 0x40023000],
    ['RTC2', 0x40024000],
    ['I2S', 0x40025000],
    ['FPU', 0x40026000],
    ['USBD', 0x40027000],
    ['UARTE1', 0x40028000],
    ['QSPI', 0x40029000],
    ['PWM3', 0x4002d000],
    ['SPIM3', 0x4002f000],
    ['CRYPTOCELL', 0x5002a000],
    ['CC_HOST_RGF', 0x5002b000],
    ['P0', 0x50000000],
    ['P1', 0x50000300],
  ];
  const noIrq = new Set(['FICR', 'UICR', 'NVMC', 'ACL', 'PPI', 'P0', 'P1', 'CC_HOST_RGF']);

  it.each(bases)('has %s at its PS base address with interrupt = peripheral ID', (name, base) => {
    const p = byName.get(name);
    expect(p, name).toBeDefined();
    expect(p!.baseAddress).toBe(base);
    if (noIrq.has(name)) expect(p!.interrupts).toEqual([]);
    else expect(p!.interrupts.map((i) => i.value)).toEqual([(base >>> 12) & 0x3f]);
  });

  it('shares interrupt POWER_CLOCK between CLOCK and POWER and marks alternates', () => {
    expect(byName.get('CLOCK')!.interrupts[0]!.name).toBe('POWER_CLOCK');
    expect(byName.get('POWER')!.interrupts[0]!.name).toBe('POWER_CLOCK');
    expect(byName.get('UART0')!.alternatePeripheral).toBe('UARTE0');
    expect(byName.get('EGU3')!.interrupts[0]!.name).toBe('SWI3_EGU3');
  });

  it('gives each TIMER and RTC instance its own number of CC registers', () => {
    const cc = (p: string) => byName.get(p)!.registers.filter((r) => /^CC\[/.test(r.name)).length;
    expect([cc('TIMER0'), cc('TIMER2'), cc('TIMER3'), cc('TIMER4')]).toEqual([4, 4, 6, 6]);
    expect([cc('RTC0'), cc('RTC1'), cc('RTC2')]).toEqual([3, 4, 4]);
  });

  it('names the registers the access log sees', () => {
    expect(namer.name(0x40002008)).toBe('UARTE0.TASKS_STARTTX');
    expect(namer.name(0x40002534)).toBe('UARTE0.RXD.PTR');
    expect(namer.name(0x40002518, 'UART0')).toBe('UART0.RXD');
    expect(namer.name(0x4001f514 + 8 * 3)).toBe('PPI.CH[3].TEP');
    expect(namer.name(0x50000504)).toBe('P0.OUT');
    expect(namer.name(0x50000804)).toBe('P1.OUT');
    expect(namer.name(0x50000a3c)).toBe('P1.PIN_CNF[15]');
    expect(namer.name(0x50000100)).toBe('P0+0x100');
    expect(namer.name(0x50000900)).toBe('P1+0x600');
    expect(namer.name(0x4000b140)).toBe('RTC0.EVENTS_COMPARE[0]');
    expect(namer.name(0x4000b14c)).toBe('RTC0+0x14C'); // RTC0 has three compare registers
    expect(namer.name(0x4001e508)).toBe('NVMC.ERASEPAGE'); // not its deprecated alias
    expect(reg(d, 'NVMC', 'ERASEPCR1').alternateRegister).toBe('ERASEPAGE');
    expect(namer.name(0x10000100)).toBe('FICR.INFO.PART');
    expect(namer.name(0x40000578)).toBe('POWER.DCDCEN');
    expect(namer.name(0x40000518)).toBe('CLOCK.LFCLKSRC');
  });

  it('decodes values with the PS value names', () => {
    expect(namer.describe(0x40002500, 8)).toBe('ENABLE=Enabled');
    expect(namer.describe(0x40002500, 4, 'write', 'UART0')).toBe('ENABLE=Enabled');
    expect(namer.describe(0x40002524, 0x01d60000)).toBe('BAUDRATE=Baud115200');
    expect(namer.describe(0x4001e504, 2)).toBe('WEN=Een');
    expect(namer.describe(0x40008508, 3)).toBe('BITMODE=Bit32');
    expect(namer.describe(0x4000b304, 1 << 17, 'write')).toBe('COMPARE1=Set');
    expect(namer.describe(0x40006100, 1, 'read')).toBe('EVENTS_IN=Generated');
    expect(namer.describe(0x50000700, 0xc)).toBe(
      'DIR=Input INPUT=Connect PULL=Pullup DRIVE=S0S1 SENSE=Disabled',
    );
    expect(namer.describe(0x40010600, 0x6e524635, 'write')).toBe('RR=Reload');
  });

  it('marks write-1-to-clear registers and side-effect reads', () => {
    expect(reg(d, 'POWER', 'RESETREAS').modifiedWriteValues).toBe('oneToClear');
    expect(reg(d, 'UARTE0', 'ERRORSRC').modifiedWriteValues).toBe('oneToClear');
    expect(reg(d, 'P0', 'LATCH').modifiedWriteValues).toBe('oneToClear');
    expect(reg(d, 'UART0', 'RXD').readAction).toBe('modify');
    expect(reg(d, 'RTC1', 'INTENSET').modifiedWriteValues).toBe('oneToSet');
    expect(reg(d, 'RTC1', 'EVTENCLR').modifiedWriteValues).toBe('oneToClear');
    expect(reg(d, 'P1', 'OUTSET').modifiedWriteValues).toBe('oneToSet');
    expect(reg(d, 'POWER', 'RAM[8].POWERCLR').modifiedWriteValues).toBe('oneToClear');
  });
});

describe('resources/svd/nrf52833.svd (micro:bit v2)', () => {
  const d33 = parseSvd(nrf52833Xml);
  const d40 = parseSvd(nrf52840Xml);

  it('is the nRF52840 description without QSPI and CryptoCell', () => {
    const n33 = d33.peripherals.map((p) => p.name);
    const n40 = d40.peripherals.map((p) => p.name);
    expect(d33.name).toBe('nrf52833');
    expect(n40.filter((n) => !n33.includes(n)).sort()).toEqual([
      'CC_HOST_RGF',
      'CRYPTOCELL',
      'QSPI',
    ]);
    expect(n33.every((n) => n40.includes(n))).toBe(true);
  });

  it('states its own part number and memory sizes in FICR', () => {
    expect(reg(d33, 'FICR', 'INFO.PART').resetValue).toBe(0x52833);
    expect(reg(d33, 'FICR', 'INFO.FLASH').resetValue).toBe(512);
    expect(reg(d33, 'FICR', 'INFO.RAM').resetValue).toBe(128);
    expect(reg(d33, 'FICR', 'CODESIZE').resetValue).toBe(128);
    expect(reg(d40, 'FICR', 'INFO.PART').resetValue).toBe(0x52840);
    expect(reg(d40, 'FICR', 'CODESIZE').resetValue).toBe(256);
  });
});
