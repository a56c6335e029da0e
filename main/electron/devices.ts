/**
 * Device grants: the USB devices and serial ports the user picked, and nothing else.
 *
 * Electron lets a page reach USB devices and serial ports (WebUSB, Web Serial) through four
 * hooks: the permission check for `usb` and `serial`, the device permission handler, and the
 * `select-usb-device` / `select-serial-port` choosers. Capsule Studio answers all four from one
 * list: a device is usable only after the user picked it in the app's own board picker, which
 * calls `pick`. A chooser never shows Chromium's list and never chooses by itself: it returns
 * the picked device when it is among the candidates, and cancels otherwise.
 *
 * Electron describes the same device in three shapes (a USB device with numeric ids, a serial
 * port with decimal-string ids from the chooser, and `vendor_id`/`product_id`/`serial_number`
 * or a Windows `device_instance_id` in permission checks); `identityOf` reads them all.
 *
 * @example
 *   const grants = new DeviceGrants();
 *   // The user chose the nRF52840-DK's J-Link in the board picker:
 *   grants.pick({ kind: 'serial', vendorId: 0x1366, productId: 0x1015, serialNumber: '000683000000' });
 *   session.setDevicePermissionHandler((d) => grants.allows(d.deviceType, d.device));
 */

export type DeviceKind = 'usb' | 'serial';

/** A device as the board picker identifies it (USB ids as numbers). */
export interface PickedDevice {
  kind: DeviceKind;
  vendorId: number;
  productId: number;
  /** Present for boards that report one (debug probes do): tells two identical boards apart. */
  serialNumber?: string;
  /** Windows' stable id of a serial port, when the picker knows it. */
  deviceInstanceId?: string;
}

interface Identity {
  vendorId?: number;
  productId?: number;
  serialNumber?: string;
  deviceInstanceId?: string;
}

function usbId(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffff)
    return value;
  // Electron's serial chooser gives ids as decimal strings.
  if (typeof value === 'string' && /^\d{1,5}$/.test(value)) return usbId(Number(value));
  return undefined;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** Reads the ids out of any of Electron's shapes for a USB device or a serial port. */
export function identityOf(device: unknown): Identity {
  if (typeof device !== 'object' || device === null) return {};
  const d = device as Record<string, unknown>;
  const id: Identity = {};
  const vendorId = usbId(d.vendorId ?? d.vendor_id);
  const productId = usbId(d.productId ?? d.product_id);
  const serialNumber = text(d.serialNumber ?? d.serial_number);
  const deviceInstanceId = text(d.deviceInstanceId ?? d.device_instance_id);
  if (vendorId !== undefined) id.vendorId = vendorId;
  if (productId !== undefined) id.productId = productId;
  if (serialNumber !== undefined) id.serialNumber = serialNumber;
  if (deviceInstanceId !== undefined) id.deviceInstanceId = deviceInstanceId;
  return id;
}

function matches(picked: PickedDevice, candidate: Identity): boolean {
  if (picked.deviceInstanceId && candidate.deviceInstanceId)
    return picked.deviceInstanceId === candidate.deviceInstanceId;
  if (candidate.vendorId !== picked.vendorId || candidate.productId !== picked.productId)
    return false;
  // A picked serial number must be seen again; without one, the ids decide.
  return picked.serialNumber === undefined || candidate.serialNumber === picked.serialNumber;
}

export class DeviceGrants {
  private picked: PickedDevice[] = [];

  /** The user picked this device: the page may now open it. */
  pick(device: PickedDevice): void {
    this.forget(device);
    this.picked.push({ ...device });
  }

  /** The user let go of the device (or unplugged the board and chose another). */
  forget(device: PickedDevice): void {
    this.picked = this.picked.filter((p) => !(p.kind === device.kind && matches(p, device)));
  }

  list(): PickedDevice[] {
    return this.picked.map((p) => ({ ...p }));
  }

  /** For the device permission handler: is this device one the user picked? */
  allows(kind: string, device: unknown): boolean {
    if (kind !== 'usb' && kind !== 'serial') return false;
    const id = identityOf(device);
    return this.picked.some((p) => p.kind === kind && matches(p, id));
  }

  /**
   * For the choosers: the id (USB `deviceId`, serial `portId`) of the candidate the user
   * picked, or null to cancel the request.
   */
  choose(kind: DeviceKind, candidates: readonly unknown[]): string | null {
    for (const c of candidates) {
      if (!this.allows(kind, c)) continue;
      const d = c as Record<string, unknown>;
      const id = kind === 'usb' ? d.deviceId : d.portId;
      if (typeof id === 'string' && id !== '') return id;
    }
    return null;
  }
}
