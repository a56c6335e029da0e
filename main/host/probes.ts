/**
 * Debug probes attached to this machine: found on the USB bus, told apart by their descriptors,
 * matched to the OpenOCD interface that drives them, and checked for access.
 *
 * Why here: the Boards panel lists probes, the flasher and the OpenOCD debug target need to
 * know which interface file a probe takes and its serial number (`adapter serial`, when two
 * probes are plugged in), and a probe the user may not open must say why with the udev rule
 * that fixes it.
 *
 * Classification is a table over what the USB descriptors say (`PROBE_KINDS`), read from
 * recorded descriptor sets in the tests:
 * - SEGGER J-Link, vendor 0x1366 (every product id: the nRF52840-DK's on-board J-Link OB is
 *   1366:1015 or 1366:1051, a J-Link with its CDC and MSD functions 1366:0105...);
 * - ST-Link, vendor 0x0483, products 3744 (V1), 3748 (V2), 374B (V2-1), 374D/374E/374F/3753/3754
 *   (V3 kin), 3752 (V2-1 without mass storage);
 * - Arm Mbed DAPLink, 0D28:0204 (the micro:bit's interface chip);
 * - any other CMSIS-DAP: v2 by an interface whose string contains "CMSIS-DAP" with bulk
 *   endpoints (vendor class 0xFF), v1 by a HID interface (class 0x03) whose string, or the
 *   product string, contains "CMSIS-DAP" (the CMSIS-DAP specification's rule for finding a
 *   probe: "the interface string must contain CMSIS-DAP").
 *
 * Discovery reads the bus through the `usb` package (nusb underneath: on Linux it reads sysfs
 * and opens nothing, so listing never disturbs a probe in use); `usb` ships a prebuilt native
 * module and needs no install script (package.json allowScripts keeps it off). Where the bus
 * cannot be read (no /sys/bus/usb in a container, another OS without permission) the list is
 * empty and `note` says why. Access is checked on the device node (/dev/bus/usb/BBB/DDD).
 *
 * @example
 *   const r = await listProbes();
 *   for (const p of r.probes) console.log(p.name, p.kind, p.openocdInterface, p.problem ?? 'ok');
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { ProbeInfo, ProbeListing } from '../common/contract.js';
import { probeUdevRule } from './openocd';
import { UDEV_RULES_FILE } from './udev';

export type ProbeKind = ProbeInfo['kind'];

/** One interface of a USB configuration, as its descriptors say. */
export interface UsbInterfaceDescriptor {
  number: number;
  /** bInterfaceClass (0x03 HID, 0x02/0x0A CDC, 0x08 mass storage, 0xFF vendor specific). */
  interfaceClass: number;
  interfaceSubclass: number;
  /** The interface's string descriptor (iInterface), when it has one. */
  name?: string;
  /** Endpoint transfer types of its first alternate setting. */
  endpoints: ('bulk' | 'interrupt' | 'isochronous')[];
}

/** What the bus says about one device: the descriptor set a probe is classified from. */
export interface UsbDescriptorSet {
  vendorId: number;
  productId: number;
  manufacturer?: string;
  product?: string;
  serialNumber?: string;
  interfaces: UsbInterfaceDescriptor[];
  /** Bus number and device address (the device node /dev/bus/usb/BBB/DDD), when known. */
  busNumber?: number;
  deviceAddress?: number;
}

interface ProbeKindInfo {
  kind: ProbeKind;
  label: string;
  /** The OpenOCD interface file that drives it. */
  openocdInterface: string;
}

const KIND_INFO: Readonly<Record<ProbeKind, ProbeKindInfo>> = {
  jlink: { kind: 'jlink', label: 'SEGGER J-Link', openocdInterface: 'interface/jlink.cfg' },
  stlink: { kind: 'stlink', label: 'ST-Link', openocdInterface: 'interface/stlink.cfg' },
  daplink: { kind: 'daplink', label: 'DAPLink', openocdInterface: 'interface/cmsis-dap.cfg' },
  'cmsis-dap-v2': {
    kind: 'cmsis-dap-v2',
    label: 'CMSIS-DAP v2',
    openocdInterface: 'interface/cmsis-dap.cfg',
  },
  'cmsis-dap-v1': {
    kind: 'cmsis-dap-v1',
    label: 'CMSIS-DAP v1 (HID)',
    openocdInterface: 'interface/cmsis-dap.cfg',
  },
};

/** Vendor/product rules, checked before the CMSIS-DAP interface-string rule. */
export const PROBE_KINDS: readonly {
  vendorId: number;
  /** Undefined: every product of the vendor. */
  productIds?: readonly number[];
  kind: ProbeKind;
}[] = [
  { vendorId: 0x1366, kind: 'jlink' },
  {
    vendorId: 0x0483,
    productIds: [0x3744, 0x3748, 0x374a, 0x374b, 0x374d, 0x374e, 0x374f, 0x3752, 0x3753, 0x3754],
    kind: 'stlink',
  },
  { vendorId: 0x0d28, productIds: [0x0204], kind: 'daplink' },
];

const HID = 0x03;
const VENDOR_SPECIFIC = 0xff;

/** The probe kind a descriptor set shows, or null for a device that is no debug probe. */
export function classifyProbe(d: UsbDescriptorSet): ProbeKindInfo | null {
  const rule = PROBE_KINDS.find(
    (r) => r.vendorId === d.vendorId && (r.productIds?.includes(d.productId) ?? true),
  );
  if (rule) return KIND_INFO[rule.kind];
  const dap = (s: string | undefined): boolean => s !== undefined && /CMSIS-DAP/i.test(s);
  const v2 = d.interfaces.some(
    (i) => i.interfaceClass === VENDOR_SPECIFIC && dap(i.name) && i.endpoints.includes('bulk'),
  );
  if (v2) return KIND_INFO['cmsis-dap-v2'];
  const v1 = d.interfaces.some((i) => i.interfaceClass === HID && (dap(i.name) || dap(d.product)));
  if (v1) return KIND_INFO['cmsis-dap-v1'];
  return null;
}

/** A probe as the Boards panel lists it (the contract's ProbeInfo). */
export type DiscoveredProbe = ProbeInfo;

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

/** The probes among `devices`, with access checked by `canOpen` (device node read/write). */
export async function probesFrom(
  devices: readonly UsbDescriptorSet[],
  canOpen: (d: UsbDescriptorSet) => Promise<boolean>,
): Promise<DiscoveredProbe[]> {
  const out: DiscoveredProbe[] = [];
  for (const d of devices) {
    const k = classifyProbe(d);
    if (k === null) continue;
    const vendorId = hex4(d.vendorId);
    const productId = hex4(d.productId);
    const product = d.product?.trim();
    const probe: DiscoveredProbe = {
      // The product string says more than the kind when it is more than the kind's name.
      name:
        !product || k.label.includes(product)
          ? k.label
          : product.includes(k.label)
            ? product
            : `${k.label} (${product})`,
      vendorId,
      productId,
      ...(d.serialNumber ? { serialNumber: d.serialNumber } : {}),
      kind: k.kind,
      openocdInterface: k.openocdInterface,
    };
    if (!(await canOpen(d))) {
      probe.problem = `no permission to open the ${k.label} (USB ${vendorId}:${productId})`;
      probe.fix = `put this rule in ${UDEV_RULES_FILE}, run sudo udevadm control --reload && sudo udevadm trigger, and plug the probe in again:\n${probeUdevRule(vendorId, productId)}`;
    }
    out.push(probe);
  }
  return out;
}

/** Whether this process may open the device node for reading and writing (Linux). */
export async function deviceNodeWritable(d: UsbDescriptorSet): Promise<boolean> {
  if (process.platform !== 'linux' || d.busNumber === undefined || d.deviceAddress === undefined)
    return true;
  const node = `/dev/bus/usb/${String(d.busNumber).padStart(3, '0')}/${String(d.deviceAddress).padStart(3, '0')}`;
  try {
    await access(node, constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The shape of the `usb` package's devices that discovery reads (WebUSB's USBDevice). */
interface WebUsbLike {
  vendorId: number;
  productId: number;
  manufacturerName?: string;
  productName?: string;
  serialNumber?: string;
  bus?: string;
  address?: number;
  configurations?: {
    interfaces: {
      interfaceNumber: number;
      alternates: {
        interfaceClass: number;
        interfaceSubclass: number;
        interfaceName?: string | null;
        endpoints: { type: 'bulk' | 'interrupt' | 'isochronous' }[];
      }[];
    }[];
  }[];
}

/** A `usb` device as a descriptor set. */
export function descriptorSetOf(d: WebUsbLike): UsbDescriptorSet {
  const cfg = d.configurations?.[0];
  const busNumber = d.bus !== undefined ? Number(/^\d+/.exec(d.bus)?.[0]) : NaN;
  return {
    vendorId: d.vendorId,
    productId: d.productId,
    ...(d.manufacturerName ? { manufacturer: d.manufacturerName } : {}),
    ...(d.productName ? { product: d.productName } : {}),
    ...(d.serialNumber ? { serialNumber: d.serialNumber } : {}),
    ...(Number.isFinite(busNumber) ? { busNumber } : {}),
    ...(d.address !== undefined ? { deviceAddress: d.address } : {}),
    interfaces: (cfg?.interfaces ?? []).map((i) => {
      const alt = i.alternates[0];
      return {
        number: i.interfaceNumber,
        interfaceClass: alt?.interfaceClass ?? 0,
        interfaceSubclass: alt?.interfaceSubclass ?? 0,
        ...(alt?.interfaceName ? { name: alt.interfaceName } : {}),
        endpoints: (alt?.endpoints ?? []).map((e) => e.type),
      };
    }),
  };
}

export type ProbeList = ProbeListing;

/** Every USB device's descriptor set, through the `usb` package; an error says why not. */
export async function readUsbBus(): Promise<
  { ok: true; value: UsbDescriptorSet[] } | { ok: false; error: string }
> {
  let lib: { usb: { getDevices(): Promise<WebUsbLike[]> } };
  try {
    lib = (await import('usb')) as unknown as typeof lib;
  } catch (e) {
    return { ok: false, error: `the USB library could not be loaded: ${(e as Error).message}` };
  }
  try {
    const devices = await lib.usb.getDevices();
    return { ok: true, value: devices.map(descriptorSetOf) };
  } catch (e) {
    return { ok: false, error: `the USB bus cannot be read: ${(e as Error).message}` };
  }
}

/** The debug probes plugged into this machine. Never fails: a bus it cannot read is a note. */
export async function listProbes(
  read: typeof readUsbBus = readUsbBus,
  canOpen: (d: UsbDescriptorSet) => Promise<boolean> = deviceNodeWritable,
): Promise<ProbeList> {
  const bus = await read();
  if (!bus.ok) return { probes: [], note: bus.error };
  return { probes: await probesFrom(bus.value, canOpen) };
}

/**
 * Probe discovery as the Boards service polls it (its hot-plug): the probes now, or an error
 * naming why the bus cannot be read (the service lists it as a note and shows ports only).
 */
export function probeSource(
  list: () => Promise<ProbeList> = () => listProbes(),
): () => Promise<ProbeInfo[]> {
  return async () => {
    const r = await list();
    if (r.note !== undefined) throw new Error(r.note);
    return r.probes;
  };
}
