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

const cdc = (n: number): UsbDescriptorSet['interfaces'] => [
  { number: n, interfaceClass: 0x02, interfaceSubclass: 0x02, endpoints: ['interrupt'] },
  { number: n + 1, interfaceClass: 0x0a, interfaceSubclass: 0, endpoints: ['bulk', 'bulk'] },
];
const msc = (n: number): UsbDescriptorSet['interfaces'][number] => ({
  number: n,
  interfaceClass: 0x08,
  interfaceSubclass: 0x06,
  endpoints: ['bulk', 'bulk'],
});

/** Descriptor sets as the bus reports them for each kind of probe. */
const RECORDED: Record<string, UsbDescriptorSet> = {
  // nRF52840-DK: on-board J-Link OB with its virtual COM port and mass storage.
  'nrf52840dk-jlink-ob': {
    vendorId: 0x1366,
    productId: 0x1015,
    manufacturer: 'SEGGER',
    product: 'J-Link',
    serialNumber: '000683012345',
    interfaces: [
      ...cdc(0),
      msc(2),
      { number: 3, interfaceClass: 0xff, interfaceSubclass: 0xff, endpoints: ['bulk', 'bulk'] },
    ],
  },
  'nrf52840dk-jlink-ob-1051': {
    vendorId: 0x1366,
    productId: 0x1051,
    manufacturer: 'SEGGER',
    product: 'J-Link',
    serialNumber: '001050234567',
    interfaces: [
      { number: 0, interfaceClass: 0xff, interfaceSubclass: 0xff, endpoints: ['bulk', 'bulk'] },
      ...cdc(1),
    ],
  },
  // micro:bit v2: DAPLink interface chip (KL27 / nRF52820) with CMSIS-DAP v1 and v2, CDC, MSC.
  'microbit-daplink': {
    vendorId: 0x0d28,
    productId: 0x0204,
    manufacturer: 'Arm',
    product: 'BBC micro:bit CMSIS-DAP',
    serialNumber: '9904360259994e450000000000000000000000009796990b',
    interfaces: [
      msc(0),
      ...cdc(1),
      {
        number: 3,
        interfaceClass: 0x03,
        interfaceSubclass: 0,
        name: 'CMSIS-DAP v1',
        endpoints: ['interrupt', 'interrupt'],
      },
      {
        number: 4,
        interfaceClass: 0xff,
        interfaceSubclass: 0,
        name: 'CMSIS-DAP v2',
        endpoints: ['bulk', 'bulk'],
      },
    ],
  },
  'stlink-v2': {
    vendorId: 0x0483,
    productId: 0x3748,
    manufacturer: 'STMicroelectronics',
    product: 'STM32 STLink',
    serialNumber: '55FF6B065177495619420887',
    interfaces: [
      {
        number: 0,
        interfaceClass: 0xff,
        interfaceSubclass: 0xff,
        endpoints: ['bulk', 'bulk', 'bulk'],
      },
    ],
  },
  'stlink-v2-1': {
    vendorId: 0x0483,
    productId: 0x374b,
    product: 'STM32 STLink',
    interfaces: [
      msc(0),
      ...cdc(1),
      { number: 3, interfaceClass: 0xff, interfaceSubclass: 0xff, endpoints: ['bulk', 'bulk'] },
    ],
  },
  'stlink-v3': {
    vendorId: 0x0483,
    productId: 0x374f,
    product: 'STLINK-V3',
    interfaces: [
      { number: 0, interfaceClass: 0xff, interfaceSubclass: 0xff, endpoints: ['bulk', 'bulk'] },
    ],
  },
  // A CMSIS-DAP v2 of another maker (bulk interface named by the specification's rule).
  'generic-cmsis-dap-v2': {
    vendorId: 0x2e8a,
    productId: 0x000c,
    product: 'Debugprobe on Pico (CMSIS-DAP)',
    serialNumber: 'E6614C311B1B4E2A',
    interfaces: [
      {
        number: 0,
        interfaceClass: 0xff,
        interfaceSubclass: 0,
        name: 'CMSIS-DAP v2 Interface',
        endpoints: ['bulk', 'bulk'],
      },
      ...cdc(1),
    ],
  },
  // A CMSIS-DAP v1: HID only, the product string carries the name.
  'generic-cmsis-dap-v1': {
    vendorId: 0xc251,
    productId: 0xf002,
    product: 'CMSIS-DAP',
    interfaces: [
      {
        number: 0,
        interfaceClass: 0x03,
        interfaceSubclass: 0,
        endpoints: ['interrupt', 'interrupt'],
      },
    ],
  },
  // Not probes: a keyboard, a USB-serial bridge, an ST part that is no ST-Link (a DFU device).
  keyboard: {
    vendorId: 0x046d,
    productId: 0xc31c,
    product: 'USB Keyboard',
    interfaces: [
      { number: 0, interfaceClass: 0x03, interfaceSubclass: 1, endpoints: ['interrupt'] },
    ],
  },
  'ftdi-serial': {
    vendorId: 0x0403,
    productId: 0x6001,
    product: 'FT232R USB UART',
    interfaces: [
      { number: 0, interfaceClass: 0xff, interfaceSubclass: 0xff, endpoints: ['bulk', 'bulk'] },
    ],
  },
  'stm32-dfu': {
    vendorId: 0x0483,
    productId: 0xdf11,
    product: 'STM32  BOOTLOADER',
    interfaces: [{ number: 0, interfaceClass: 0xfe, interfaceSubclass: 1, endpoints: [] }],
  },
};

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
