import { describe, expect, it } from 'vitest';
import { probeUdevRule } from './openocd';
import { udevRuleFor } from './boards';
import { udevRule } from './udev';

describe('udev rules', () => {
  it('match the vendor and the product when known, the subsystem alone otherwise', () => {
    expect(udevRule('usb', '0d28', '0204')).toBe(
      'SUBSYSTEM=="usb", ATTRS{idVendor}=="0d28", ATTRS{idProduct}=="0204", MODE="0660", TAG+="uaccess"',
    );
    expect(udevRule('tty', '1366')).toBe(
      'SUBSYSTEM=="tty", ATTRS{idVendor}=="1366", MODE="0660", TAG+="uaccess"',
    );
    expect(udevRule('tty')).toBe('SUBSYSTEM=="tty", MODE="0660", TAG+="uaccess"');
  });

  it('give a probe its USB rule and a serial port its tty rule plus its probe', () => {
    expect(probeUdevRule('1366')).toBe(udevRule('usb', '1366'));
    expect(udevRuleFor('0d28', '0204').split('\n')).toEqual([
      udevRule('tty', '0d28', '0204'),
      udevRule('usb', '0d28', '0204'),
    ]);
    // A port whose USB identity is unknown gets the tty rule alone; an empty product is none.
    expect(udevRuleFor(undefined, undefined)).toBe(udevRule('tty'));
    expect(udevRuleFor('1366', '')).toBe(`${udevRule('tty', '1366')}\n${udevRule('usb', '1366')}`);
  });
});
