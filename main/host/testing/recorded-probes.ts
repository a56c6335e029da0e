/**
 * Recorded USB descriptor sets of each kind of debug probe (and of devices that are no probes),
 * as the bus reports them: the probe classification tests and the Boards service's hot-plug
 * test read them instead of a bus.
 *
 * @example
 *   const probes = await listProbes(async () => ({ ok: true, value: [RECORDED['microbit-daplink']!] }));
 */
import type { UsbDescriptorSet } from '../probes';

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
export const RECORDED: Record<string, UsbDescriptorSet> = {
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
