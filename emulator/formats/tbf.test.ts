/**
 * Tests for the TBF v2 parser and builder: round trips of every TLV we write, the checksum,
 * footers, the back-to-back walk, and one clear error per kind of corruption.
 */
import { describe, expect, it } from 'vitest';
import {
  TBF_TLV,
  buildPaddingTbf,
  buildTbfHeader,
  parseTbf,
  parseTbfHeader,
  tbfChecksum,
  tbfHeaderSize,
  walkTbfs,
  type TbfHeaderSpec,
} from './tbf';

const spec: TbfHeaderSpec = {
  totalSize: 0x400,
  program: {
    initFnOffset: 0x24,
    protectedTrailerSize: 0x1c,
    minimumRamSize: 4096,
    binaryEndOffset: 0x300,
    appVersion: 7,
  },
  packageName: 'hello',
  fixedAddresses: { ram: 0x20008000, flash: 0x40080 },
  permissions: [{ driver: 1, offset: 0, allowedCommands: 0x7n }],
  writeableFlashRegions: [{ offset: 0x200, size: 0x100 }],
  kernelVersion: { major: 2, minor: 1 },
  shortId: 0x1234,
};

function app(headerSpec: TbfHeaderSpec): Uint8Array {
  const bytes = new Uint8Array(headerSpec.totalSize);
  bytes.set(buildTbfHeader(headerSpec));
  return bytes;
}

describe('TBF build and parse', () => {
  it('round-trips every field', () => {
    const r = parseTbf(app(spec));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const h = r.value;
    expect(h.totalSize).toBe(0x400);
    expect(h.enabled).toBe(true);
    expect(h.sticky).toBe(false);
    expect(h.program).toEqual(spec.program);
    expect(h.main).toEqual({
      initFnOffset: 0x24,
      protectedTrailerSize: 0x1c,
      minimumRamSize: 4096,
    });
    expect(h.packageName).toBe('hello');
    expect(h.fixedAddresses).toEqual({ ram: 0x20008000, flash: 0x40080 });
    expect(h.permissions).toEqual(spec.permissions);
    expect(h.writeableFlashRegions).toEqual(spec.writeableFlashRegions);
    expect(h.kernelVersion).toEqual({ major: 2, minor: 1 });
    expect(h.shortId).toBe(0x1234);
    expect(h.isPadding).toBe(false);
    expect(h.headerSize).toBe(tbfHeaderSize(spec));
    expect(h.headerSize % 4).toBe(0);
  });

  it('writes a Main TLV when no Program is given, and keeps unknown TLVs verbatim', () => {
    const bytes = app({
      totalSize: 256,
      main: { initFnOffset: 1, protectedTrailerSize: 0, minimumRamSize: 1024 },
      packageName: 'abc',
      extra: [{ type: 0x8001, value: Uint8Array.of(9, 8, 7) }],
      sticky: true,
    });
    const r = parseTbfHeader(bytes);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.tlvs.map((t) => t.type)).toEqual([TBF_TLV.main, TBF_TLV.packageName, 0x8001]);
    expect(r.value.sticky).toBe(true);
    const unknown = r.value.tlvs[2];
    expect(unknown && 'raw' in unknown ? [...unknown.raw] : []).toEqual([9, 8, 7]);
  });

  it('computes the checksum as the XOR of all other header words', () => {
    const h = buildTbfHeader(spec);
    const view = new DataView(h.buffer);
    let x = 0;
    for (let i = 0; i < h.length; i += 4) if (i !== 12) x ^= view.getUint32(i, true);
    expect(view.getUint32(12, true)).toBe(x >>> 0);
    expect(tbfChecksum(h)).toBe(x >>> 0);
  });

  it('finds a credentials footer after the binary end', () => {
    const bytes = app(spec);
    const view = new DataView(bytes.buffer);
    view.setUint16(0x300, TBF_TLV.credentialsFooter, true);
    view.setUint16(0x302, 8, true);
    view.setUint32(0x304, 3, true); // format
    const r = parseTbf(bytes);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.footers[0]).toMatchObject({ offset: 0x300, type: 128, format: 3 });
  });

  it('builds padding TBFs that the walk steps over', () => {
    const region = new Uint8Array(0x800).fill(0xff);
    region.set(buildPaddingTbf(0x200), 0);
    region.set(
      app({ ...spec, totalSize: 0x400, program: { ...spec.program!, binaryEndOffset: 0x100 } }),
      0x200,
    );
    const w = walkTbfs(region);
    expect(w.apps.map((a) => [a.offset, a.header.isPadding])).toEqual([
      [0, true],
      [0x200, false],
    ]);
    expect(w.stoppedBy?.kind).toBe('version'); // erased flash after the last app
  });
});

describe('TBF errors name the problem', () => {
  const good = (): Uint8Array => app(spec);
  const setU32 = (b: Uint8Array, at: number, v: number): Uint8Array => {
    new DataView(b.buffer).setUint32(at, v, true);
    return b;
  };
  const resum = (b: Uint8Array): Uint8Array => {
    const size = new DataView(b.buffer).getUint16(2, true);
    return setU32(b, 12, tbfChecksum(b.subarray(0, size)));
  };

  const cases: [string, () => Uint8Array, string, RegExp][] = [
    ['truncated base header', () => good().subarray(0, 10), 'truncated', /only 10 bytes/],
    [
      'wrong version',
      () => resum(Uint8Array.from([1, 0, ...good().subarray(2)])),
      'version',
      /version 1/,
    ],
    ['bad checksum', () => setU32(good(), 12, 0xdeadbeef), 'checksum', /checksum 0xdeadbeef/],
    ['total < header', () => resum(setU32(good(), 4, 8)), 'total-size', /smaller than header size/],
    [
      'TLV overruns header',
      () => {
        const b = good();
        new DataView(b.buffer).setUint16(16 + 2, 400, true);
        return resum(b);
      },
      'tlv-overrun',
      /Program TLV of length 400 runs past/,
    ],
    [
      'Program binary end outside the app',
      () => resum(setU32(good(), 16 + 4 + 12, 0x9999)),
      'tlv-value',
      /binary end offset 39321/,
    ],
    [
      'FixedAddresses with a wrong length',
      () => {
        const b = app({ totalSize: 64, fixedAddresses: { ram: 0, flash: 0 } });
        new DataView(b.buffer).setUint16(18, 4, true);
        return resum(b);
      },
      'tlv-length',
      /FixedAddresses TLV has length 4, expected 8/,
    ],
  ];
  for (const [name, make, kind, message] of cases) {
    it(name, () => {
      const r = parseTbf(make());
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error.kind).toBe(kind);
      expect(r.error.message).toMatch(message);
    });
  }

  it('reports a TBF whose total size runs past the buffer', () => {
    const r = parseTbf(good().subarray(0, 0x100));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/total size 1024 runs past the 256 bytes/);
  });

  it('ends a walk at the first invalid header and says why', () => {
    const region = new Uint8Array(0xc00);
    region.set(good(), 0);
    const second = good();
    second[20] ^= 1; // corrupt a TLV byte: checksum no longer matches
    region.set(second, 0x400);
    region.set(good(), 0x800);
    const w = walkTbfs(region);
    expect(w.apps.length).toBe(1);
    expect(w.stoppedBy?.kind).toBe('checksum');
    expect(w.stoppedBy?.offset).toBe(0x400 + 12);
  });
});
