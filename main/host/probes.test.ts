/**
 * Probe discovery: classification of recorded descriptor sets of each probe kind (and of
 * devices that are no probes), the names, OpenOCD interfaces and permission problems the
 * Boards panel shows, and a real enumeration of whatever bus this machine has (none, in a
 * container: then a note says why and nothing throws).
 */
import { describe, expect, it } from 'vitest';
import {
  classifyProbe,
  descriptorSetOf,
  listProbes,
  probesFrom,
  type UsbDescriptorSet,
} from './probes';
import { RECORDED } from './testing/recorded-probes';

describe('probe classification (recorded descriptor sets)', () => {
  it.each([
    ['nrf52840dk-jlink-ob', 'jlink', 'interface/jlink.cfg'],
    ['nrf52840dk-jlink-ob-1051', 'jlink', 'interface/jlink.cfg'],
    ['microbit-daplink', 'daplink', 'interface/cmsis-dap.cfg'],
    ['stlink-v2', 'stlink', 'interface/stlink.cfg'],
    ['stlink-v2-1', 'stlink', 'interface/stlink.cfg'],
    ['stlink-v3', 'stlink', 'interface/stlink.cfg'],
    ['generic-cmsis-dap-v2', 'cmsis-dap-v2', 'interface/cmsis-dap.cfg'],
    ['generic-cmsis-dap-v1', 'cmsis-dap-v1', 'interface/cmsis-dap.cfg'],
  ])('%s is a %s probe driven by %s', (name, kind, cfg) => {
    const k = classifyProbe(RECORDED[name]!);
    expect(k?.kind).toBe(kind);
    expect(k?.openocdInterface).toBe(cfg);
  });

  it.each(['keyboard', 'ftdi-serial', 'stm32-dfu'])('%s is not a probe', (name) => {
    expect(classifyProbe(RECORDED[name]!)).toBeNull();
  });

  it('a CMSIS-DAP v2 needs its bulk interface: the name alone on a HID-less vendor interface without bulk endpoints is not one', () => {
    const d: UsbDescriptorSet = {
      vendorId: 0x1234,
      productId: 0x5678,
      interfaces: [
        {
          number: 0,
          interfaceClass: 0xff,
          interfaceSubclass: 0,
          name: 'CMSIS-DAP v2',
          endpoints: ['interrupt'],
        },
      ],
    };
    expect(classifyProbe(d)).toBeNull();
  });
});

describe('probe list', () => {
  it('names probes, keeps their serial numbers and says which cannot be opened, with the udev rule', async () => {
    const devices = Object.values(RECORDED);
    const probes = await probesFrom(devices, async (d) => d.vendorId !== 0x0d28);
    expect(probes.map((p) => p.kind)).toEqual([
      'jlink',
      'jlink',
      'daplink',
      'stlink',
      'stlink',
      'stlink',
      'cmsis-dap-v2',
      'cmsis-dap-v1',
    ]);
    const dk = probes[0]!;
    expect(dk).toMatchObject({
      name: 'SEGGER J-Link',
      vendorId: '1366',
      productId: '1015',
      serialNumber: '000683012345',
    });
    expect(dk.problem).toBeUndefined();
    const microbit = probes[2]!;
    expect(microbit.name).toBe('DAPLink (BBC micro:bit CMSIS-DAP)');
    expect(microbit.problem).toMatch(/no permission to open the DAPLink \(USB 0d28:0204\)/);
    expect(microbit.fix).toContain(
      'SUBSYSTEM=="usb", ATTRS{idVendor}=="0d28", ATTRS{idProduct}=="0204", MODE="0660", TAG+="uaccess"',
    );
  });

  it("reads the usb package's device shape (WebUSB USBDevice with bus and address)", () => {
    const d = descriptorSetOf({
      vendorId: 0x0d28,
      productId: 0x0204,
      productName: 'DAPLink CMSIS-DAP',
      serialNumber: 'abc',
      bus: '3-1.2',
      address: 7,
      configurations: [
        {
          interfaces: [
            {
              interfaceNumber: 4,
              alternates: [
                {
                  interfaceClass: 0xff,
                  interfaceSubclass: 0,
                  interfaceName: 'CMSIS-DAP v2',
                  endpoints: [{ type: 'bulk' }, { type: 'bulk' }],
                },
              ],
            },
          ],
        },
      ],
    });
    expect(d).toEqual({
      vendorId: 0x0d28,
      productId: 0x0204,
      product: 'DAPLink CMSIS-DAP',
      serialNumber: 'abc',
      busNumber: 3,
      deviceAddress: 7,
      interfaces: [
        {
          number: 4,
          interfaceClass: 0xff,
          interfaceSubclass: 0,
          name: 'CMSIS-DAP v2',
          endpoints: ['bulk', 'bulk'],
        },
      ],
    });
  });

  it('enumerates whatever bus this machine has, and survives none', async () => {
    const r = await listProbes();
    // A container has no /sys/bus/usb: then no probes and a note; on a desktop, a list.
    if (r.note !== undefined) {
      expect(r.probes).toEqual([]);
      expect(r.note).toMatch(/USB/);
    } else {
      for (const p of r.probes) expect(p.openocdInterface).toMatch(/^interface\//);
    }
  });

  it('a USB library that fails to load is a note, not a crash', async () => {
    const r = await listProbes(async () => ({
      ok: false,
      error: 'the USB library could not be loaded: x',
    }));
    expect(r).toEqual({ probes: [], note: 'the USB library could not be loaded: x' });
  });
});
