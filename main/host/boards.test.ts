import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTbfHeader } from '../../emulator/formats/tbf';
import type { HostEvents } from '../common/contract';
import {
  BoardsService,
  BootloaderService,
  hostErrorOf,
  matchPortsToProbes,
  udevRuleFor,
} from './boards';
import { listProbes, probeSource, type UsbDescriptorSet } from './probes';
import { listFromSysfs, openSerialLink } from './serial';
import { RECORDED } from './testing/recorded-probes';
import { startPtyBoard, type PtyBoard } from './testing/pty-board';

type Events = { name: keyof HostEvents; payload: unknown }[];
const recorder = (events: Events) =>
  (<K extends keyof HostEvents>(name: K, payload: HostEvents[K]) =>
    events.push({ name, payload })) as never;

describe('serial port listing from sysfs', () => {
  it('reads USB identity from the device a tty belongs to, and skips absent 8250 ports', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sysfs-'));
    const usb = join(root, 'devices', 'pci0000:00', 'usb1', '1-2');
    const iface = join(usb, '1-2:1.0');
    mkdirSync(iface, { recursive: true });
    for (const [f, v] of Object.entries({
      idVendor: '1366\n',
      idProduct: '1051\n',
      serial: '000683123456\n',
      manufacturer: 'SEGGER\n',
      product: 'J-Link\n',
    }))
      writeFileSync(join(usb, f), v);
    // Two legacy 8250 UARTs: one is there (type 4), one is only a possible port (type 0).
    const drivers = join(root, 'bus', 'platform', 'drivers', 'serial8250');
    mkdirSync(drivers, { recursive: true });
    const tty = join(root, 'class', 'tty');
    for (const [name, type] of [
      ['ttyS0', '4'],
      ['ttyS1', '0'],
    ] as const) {
      const dev = join(root, 'devices', 'platform', `serial8250.${name}`);
      mkdirSync(dev, { recursive: true });
      symlinkSync(drivers, join(dev, 'driver'));
      mkdirSync(join(tty, name), { recursive: true });
      symlinkSync(dev, join(tty, name, 'device'));
      writeFileSync(join(tty, name, 'type'), `${type}\n`);
    }
    for (const name of ['ttyACM0', 'tty1']) mkdirSync(join(tty, name), { recursive: true });
    symlinkSync(iface, join(tty, 'ttyACM0', 'device'));
    const ports = await listFromSysfs(root, '/dev');
    expect(ports).toEqual([
      {
        path: '/dev/ttyACM0',
        vendorId: '1366',
        productId: '1051',
        serialNumber: '000683123456',
        manufacturer: 'SEGGER',
        product: 'J-Link',
      },
      { path: '/dev/ttyS0' },
    ]);
  });
});

describe('boards', () => {
  it('ties a port to its probe by USB serial number', () => {
    const m = matchPortsToProbes(
      [
        { path: '/dev/ttyACM0', serialNumber: '000683123456', manual: false },
        { path: '/dev/ttyUSB0', serialNumber: 'FT123', manual: false },
      ],
      [
        {
          name: 'SEGGER J-Link OB',
          vendorId: '1366',
          productId: '1051',
          serialNumber: '683123456',
        },
      ],
    );
    expect(m.ports[0]!.probe).toBe('SEGGER J-Link OB');
    expect(m.ports[1]!.probe).toBeUndefined();
    expect(m.probes[0]!.ports).toEqual(['/dev/ttyACM0']);
  });

  it('says why a port cannot be opened, with the udev rule', async () => {
    const events: Events = [];
    const svc = new BoardsService(recorder(events), {
      listPorts: async () => [{ path: '/dev/ttyACM7', vendorId: '0d28', productId: '0204' }],
      canOpen: async () => false,
    });
    const r = await svc.list();
    svc.dispose();
    expect(r.ok && r.value.ports[0]).toMatchObject({
      path: '/dev/ttyACM7',
      problem: 'no permission to open /dev/ttyACM7',
      fix: expect.stringContaining(
        'SUBSYSTEM=="tty", ATTRS{idVendor}=="0d28", ATTRS{idProduct}=="0204"',
      ),
    });
    expect(r.ok && r.value.notes).toContain(
      'debug probe discovery (USB) is not part of this build; serial ports only',
    );
    expect(udevRuleFor('1366', undefined)).toContain(
      'SUBSYSTEM=="usb", ATTRS{idVendor}=="1366", MODE="0660", TAG+="uaccess"',
    );
  });

  it('reports ports that come and go, and keeps a port added by hand', async () => {
    const events: Events = [];
    let ports = [{ path: '/dev/ttyACM0' }];
    const svc = new BoardsService(recorder(events), {
      listPorts: async () => ports,
      canOpen: async () => true,
      pollMs: 20,
    });
    await svc.list();
    ports = [];
    await new Promise((r) => setTimeout(r, 150));
    const missing = await svc.addPort('/nonexistent/pts/9');
    expect(!missing.ok && missing.error.code).toBe('not-found');
    const notTty = await svc.addPort(tmpdir());
    expect(!notTty.ok && notTty.error.message).toMatch(/not a serial port/);
    const pty = await startPtyBoard();
    try {
      const added = await svc.addPort(pty.path);
      expect(added.ok && added.value.ports.map((p) => [p.path, p.manual])).toEqual([
        [pty.path, true],
      ]);
    } finally {
      await pty.stop();
      svc.dispose();
    }
    const changed = events.filter((e) => e.name === 'boards.changed');
    expect(changed.length).toBeGreaterThan(0);
    expect((changed[0]!.payload as { ports: unknown[] }).ports).toEqual([]);
  });

  it('lists probes plugged in and unplugged (hot-plug by polling the bus)', async () => {
    const events: Events = [];
    // The bus as the `usb` package would read it, changed by the test as a person plugs boards.
    let bus: UsbDescriptorSet[] = [RECORDED['nrf52840dk-jlink-ob']!];
    const svc = new BoardsService(recorder(events), {
      listPorts: async () => [],
      listProbes: probeSource(() =>
        listProbes(
          async () => ({ ok: true, value: bus }),
          async () => true,
        ),
      ),
      pollMs: 20,
    });
    const changed = async (): Promise<string[]> => {
      const from = events.length;
      for (let i = 0; i < 100 && events.length === from; i++)
        await new Promise((r) => setTimeout(r, 10));
      const last = events[events.length - 1];
      expect(last?.name).toBe('boards.changed');
      return (last!.payload as { probes: { name: string }[] }).probes.map((p) => p.name);
    };
    try {
      const first = await svc.list();
      expect(first.ok && first.value.probes.map((p) => [p.name, p.serialNumber])).toEqual([
        [expect.stringMatching(/J-Link/), '000683012345'],
      ]);
      bus = [];
      expect(await changed()).toEqual([]);
      bus = [RECORDED['microbit-daplink']!, RECORDED['ftdi-serial']!];
      expect(await changed()).toEqual([expect.stringMatching(/DAPLink/)]);
      // A bus that cannot be read: no probes, and a note that says why.
      svc.dispose();
      const blind = new BoardsService(recorder([]), {
        listPorts: async () => [],
        listProbes: probeSource(async () => ({ probes: [], note: 'no USB bus (/sys/bus/usb)' })),
      });
      const r = await blind.list();
      blind.dispose();
      expect(r.ok && r.value.notes).toEqual([
        'debug probes could not be listed: no USB bus (/sys/bus/usb)',
      ]);
    } finally {
      svc.dispose();
    }
  });

  it('maps flasher failures to host errors that keep the fix', () => {
    expect(hostErrorOf({ kind: 'timeout', message: 'no PONG', fix: 'hold BUTTON1' })).toEqual({
      ok: false,
      error: { code: 'unavailable', message: 'no PONG', fix: 'hold BUTTON1' },
    });
    expect(hostErrorOf({ kind: 'wrong-board', message: 'x' }).error.code).toBe('bad-request');
    expect(hostErrorOf({ kind: 'verify-failed', message: 'x' }).error.code).toBe('io');
  });
});

describe('bootloader sessions over a real pseudo-terminal', () => {
  let board: PtyBoard | undefined;
  afterEach(async () => {
    await board?.stop();
    board = undefined;
  });

  function project(): string {
    const dir = mkdtempSync(join(tmpdir(), 'proj-'));
    const apps = join(dir, 'target', 'images', 'nrf52840dk', 'apps');
    mkdirSync(apps, { recursive: true });
    const tbf = new Uint8Array(0x800);
    tbf.set(
      buildTbfHeader({
        totalSize: 0x800,
        packageName: 'blink',
        program: {
          initFnOffset: 1,
          protectedTrailerSize: 0,
          minimumRamSize: 512,
          binaryEndOffset: 0x100,
          appVersion: 1,
        },
      }),
    );
    writeFileSync(join(apps, 'blink.tbf'), tbf);
    writeFileSync(join(apps, 'notes.txt'), 'x');
    return dir;
  }

  it('opens, installs, lists, uninstalls and exits; a vanished port ends the session', async () => {
    board = await startPtyBoard();
    const root = project();
    const events: Events = [];
    const svc = new BootloaderService(root, recorder(events));
    expect(await svc.appFiles('nrf52840dk')).toEqual({
      ok: true,
      value: ['target/images/nrf52840dk/apps/blink.tbf'],
    });
    const opened = await svc.open(board.path, 'nrf52840dk');
    expect(opened.ok && opened.value).toMatchObject({
      board: 'nrf52840dk',
      version: '1.1.0',
      layout: { bootloader: [0, 0x8000], kernel: [0x8000, 0x40000], apps: [0x40000, 0x100000] },
      apps: [],
    });
    const installed = await svc.install(board.path, 'target/images/nrf52840dk/apps/blink.tbf');
    expect(installed.ok && installed.value.apps.map((a) => a.name)).toEqual(['blink']);
    expect(events.some((e) => e.name === 'bootloader.progress')).toBe(true);
    const outside = await svc.install(board.path, '../../etc/passwd.tab');
    expect(!outside.ok && outside.error.code).toBe('outside-project');
    const removed = await svc.uninstall(board.path, 'blink');
    expect(removed.ok && removed.value.apps).toEqual([]);
    expect(await svc.exit(board.path)).toEqual({ ok: true, value: null });
    // EXIT has no answer: the board gets it through socat a moment after the port closes.
    for (let i = 0; i < 250 && !board.sim.exited; i++) await new Promise((r) => setTimeout(r, 20));
    expect(board.sim.exited).toBe(true);
    const gone = await svc.apps(board.path);
    expect(!gone.ok && gone.error.code).toBe('not-found');

    board.sim.inBootloader = true;
    expect((await svc.open(board.path, 'nrf52840dk')).ok).toBe(true);
    await board.stop();
    const lost = await svc.apps(board.path);
    expect(!lost.ok && lost.error).toMatchObject({
      code: 'unavailable',
      message: expect.stringMatching(/went away/),
    });
    await svc.dispose();
  }, 120_000); // a real pty session: well under 30 s alone, over it at load 20

  it('says how to enter the bootloader when the board does not answer', async () => {
    const sim = new (
      await import('../debug/tock-bootloader/testing/simulated-board')
    ).SimulatedBoard();
    sim.inBootloader = false;
    board = await startPtyBoard(sim);
    const svc = new BootloaderService(project(), recorder([]));
    const r = await svc.open(board.path, 'nrf52840dk');
    expect(!r.ok && r.error).toMatchObject({
      code: 'unavailable',
      message: expect.stringMatching(/no bootloader answers/),
      fix: expect.stringMatching(/hold BUTTON1 down/),
    });
    const unknown = await svc.open(board.path, 'mps2-an386');
    expect(!unknown.ok && unknown.error.message).toMatch(/no Tock bootloader/);
    const link = await openSerialLink('/dev/does-not-exist');
    expect(!link.ok && link.error.kind).toBe('link-lost');
  });
});
