// Device grants: only the device the user picked, in every shape Electron describes it.
import { describe, expect, it } from 'vitest';
import { DeviceGrants, identityOf } from './devices';

const JLINK = {
  kind: 'serial',
  vendorId: 0x1366,
  productId: 0x1015,
  serialNumber: '000683000001',
} as const;
const MICROBIT = { kind: 'usb', vendorId: 0x0d28, productId: 0x0204 } as const;

describe('DeviceGrants', () => {
  it('allows nothing until the user picks a device', () => {
    const grants = new DeviceGrants();
    expect(
      grants.allows('serial', {
        vendor_id: 0x1366,
        product_id: 0x1015,
        serial_number: '000683000001',
      }),
    ).toBe(false);
    expect(grants.choose('usb', [{ deviceId: 'u1', vendorId: 0x0d28, productId: 0x0204 }])).toBe(
      null,
    );
  });

  it('allows the picked serial port in the permission check and the chooser shapes', () => {
    const grants = new DeviceGrants();
    grants.pick(JLINK);
    // Permission check: numbers under snake_case keys.
    expect(
      grants.allows('serial', {
        name: 'J-Link',
        vendor_id: 4966,
        product_id: 4117,
        serial_number: '000683000001',
      }),
    ).toBe(true);
    // Chooser: decimal strings.
    const ports = [
      {
        portId: 'p0',
        portName: 'ttyACM0',
        vendorId: '4966',
        productId: '4117',
        serialNumber: '000683000002',
      },
      {
        portId: 'p1',
        portName: 'ttyACM1',
        vendorId: '4966',
        productId: '4117',
        serialNumber: '000683000001',
      },
      { portId: 'p2', portName: 'ttyS0' },
    ];
    expect(grants.choose('serial', ports)).toBe('p1');
    // Another board of the same kind, or the same ids as a USB device, is not the picked one.
    expect(
      grants.allows('serial', { vendor_id: 4966, product_id: 4117, serial_number: '000683000002' }),
    ).toBe(false);
    expect(
      grants.allows('usb', { vendorId: 0x1366, productId: 0x1015, serialNumber: '000683000001' }),
    ).toBe(false);
    expect(grants.allows('hid', { vendorId: 0x1366, productId: 0x1015 })).toBe(false);
  });

  it('matches Windows device instance ids, and forgets', () => {
    const grants = new DeviceGrants();
    grants.pick({ ...JLINK, deviceInstanceId: 'USB\\VID_1366&PID_1015\\000683000001' });
    expect(
      grants.allows('serial', { device_instance_id: 'USB\\VID_1366&PID_1015\\000683000001' }),
    ).toBe(true);
    expect(grants.allows('serial', { device_instance_id: 'USB\\VID_1366&PID_1015\\OTHER' })).toBe(
      false,
    );
    grants.forget(JLINK);
    expect(grants.list()).toEqual([]);
  });

  it('allows a picked USB device without a serial number by its ids', () => {
    const grants = new DeviceGrants();
    grants.pick(MICROBIT);
    expect(
      grants.choose('usb', [
        { deviceId: 'a', vendorId: 1, productId: 2 },
        { deviceId: 'b', vendorId: 0x0d28, productId: 0x0204 },
      ]),
    ).toBe('b');
    expect(grants.allows('usb', { vendorId: 0x0d28, productId: 0x0205 })).toBe(false);
  });

  it('reads no ids out of what is not a device', () => {
    expect(identityOf(null)).toEqual({});
    expect(identityOf({ vendorId: '0x1366', productId: -1, serialNumber: '' })).toEqual({});
    expect(identityOf({ vendorId: 70000 })).toEqual({});
  });
});
