/**
 * udev rules that give the logged-in user a USB device on Linux: a debug probe (`usb`) or the
 * serial port it brings (`tty`). One writer for the rule text, so the probe list, the Boards
 * panel and the README say the same thing.
 *
 * @example
 *   udevRule('usb', '1366'); // SUBSYSTEM=="usb", ATTRS{idVendor}=="1366", MODE="0660", TAG+="uaccess"
 */

/** Where the rules go. */
export const UDEV_RULES_FILE = '/etc/udev/rules.d/60-capsule-studio.rules';

/** One rule for `subsystem`, matching the vendor (and product) when known. */
export function udevRule(subsystem: 'usb' | 'tty', vendorId?: string, productId?: string): string {
  const match = vendorId
    ? `ATTRS{idVendor}=="${vendorId}"${productId !== undefined ? `, ATTRS{idProduct}=="${productId}"` : ''}, `
    : '';
  return `SUBSYSTEM=="${subsystem}", ${match}MODE="0660", TAG+="uaccess"`;
}
