// The Electron window's security decisions, run without Electron: the capsule:// scheme's
// mapping to files (with Windows paths), the IPC sender check, the CSP, external links and
// permissions.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ELECTRON_CSP,
  externalUrl,
  isTrustedSenderUrl,
  permissionAllowed,
  RENDERER_INDEX_URL,
  RENDERER_PRIVILEGES,
  rendererFile,
  rendererHeaders,
} from './security';

const WIN_DIR = 'C:\\Program Files\\Capsule Studio\\resources\\app.asar\\dist\\renderer';
const UNC_DIR = '\\\\server\\tools\\Capsule Studio\\dist\\renderer';
const POSIX_DIR = '/opt/Capsule Studio/resources/app.asar/dist/renderer';

describe('trustedSender (IPC only from our own page)', () => {
  it.each([
    ['win32', WIN_DIR],
    ['win32', UNC_DIR],
    ['posix', POSIX_DIR],
  ] as const)('accepts our index.html on %s (%s)', (flavour, dir) => {
    expect(isTrustedSenderUrl(RENDERER_INDEX_URL, dir, flavour)).toBe(true);
    expect(isTrustedSenderUrl(`${RENDERER_INDEX_URL}?x=1#y`, dir, flavour)).toBe(true);
    expect(isTrustedSenderUrl('capsule://app/', dir, flavour)).toBe(true);
  });

  it.each([
    'capsule://app/assets/other.html',
    'capsule://evil/index.html',
    'capsule://app:8080/index.html',
    'capsule://user@app/index.html',
    'capsule://app/%2e%2e/renderer/index.html',
    'capsule://app/assets%2f..%2findex.html',
    'capsule://app/..%5Cindex.html',
    'file:///C:/Program%20Files/Capsule%20Studio/resources/app.asar/dist/renderer/index.html',
    'https://app/index.html',
    'not a url',
    '',
  ])('refuses %j', (url) => {
    expect(isTrustedSenderUrl(url, WIN_DIR, 'win32')).toBe(false);
    expect(isTrustedSenderUrl(url, POSIX_DIR, 'posix')).toBe(false);
  });
});

describe('the capsule:// scheme', () => {
  it('maps request URLs onto files of the renderer folder, Windows paths included', () => {
    expect(rendererFile('capsule://app/assets/index-a1b2.js', WIN_DIR, 'win32')).toBe(
      `${WIN_DIR}\\assets\\index-a1b2.js`,
    );
    expect(rendererFile('capsule://app/assets/my%20font.woff2', WIN_DIR, 'win32')).toBe(
      `${WIN_DIR}\\assets\\my font.woff2`,
    );
    expect(rendererFile('capsule://app/assets/x.js', UNC_DIR, 'win32')).toBe(
      `${UNC_DIR}\\assets\\x.js`,
    );
    expect(rendererFile('capsule://app/assets/x.js', POSIX_DIR, 'posix')).toBe(
      `${POSIX_DIR}/assets/x.js`,
    );
    expect(rendererFile('capsule://app/', POSIX_DIR, 'posix')).toBe(`${POSIX_DIR}/index.html`);
  });

  it('serves nothing outside the renderer folder', () => {
    for (const url of [
      'capsule://app/../../../etc/passwd',
      'capsule://app/%2e%2e/%2e%2e/secret',
      'capsule://app/a/..%2f..%2f..%2fsecret',
      'capsule://app/C:/Windows/win.ini',
      'capsule://app/%00',
    ])
      for (const [flavour, dir] of [
        ['win32', WIN_DIR],
        ['posix', POSIX_DIR],
      ] as const) {
        const file = rendererFile(url, dir, flavour);
        if (file !== null) expect(file.startsWith(dir), `${url} -> ${file}`).toBe(true);
      }
    expect(rendererFile('capsule://app/../../../etc/passwd', POSIX_DIR, 'posix')).toBe(
      `${POSIX_DIR}/etc/passwd`,
    ); // the URL parser clamps ".." at the root: still inside
  });

  it('is registered without CSP bypass or service workers', () => {
    expect(RENDERER_PRIVILEGES).toMatchObject({ standard: true, secure: true });
    expect(RENDERER_PRIVILEGES).not.toHaveProperty('bypassCSP');
    expect(RENDERER_PRIVILEGES).not.toHaveProperty('allowServiceWorkers');
  });

  it('sends one strict CSP with every response, without any connection', () => {
    const headers = rendererHeaders('/x/index.html');
    expect(headers['Content-Security-Policy']).toBe(ELECTRON_CSP);
    expect(ELECTRON_CSP).toContain("connect-src 'none'");
    expect(ELECTRON_CSP).toContain("script-src 'self'");
    expect(ELECTRON_CSP).not.toMatch(/unsafe-eval|\*/);
    expect(headers['Content-Type']).toBe('text/html; charset=utf-8');
  });

  it('leaves the page without a <meta> policy of its own (the served one is the only one)', () => {
    const html = readFileSync(
      path.resolve(import.meta.dirname, '../../renderer/index.html'),
      'utf8',
    );
    expect(html).not.toMatch(/http-equiv=\W*Content-Security-Policy/i);
  });
});

describe('shell.openExternal allow-list', () => {
  it.each([
    [
      'https://doc.rust-lang.org/error_codes/E0308.html',
      'https://doc.rust-lang.org/error_codes/E0308.html',
    ],
    ['https://docs.rs/cortex-m/latest/cortex_m/', 'https://docs.rs/cortex-m/latest/cortex_m/'],
    [
      'https://github.com/tock/tock/blob/master/doc/reference/trd104-syscalls.md',
      'https://github.com/tock/tock/blob/master/doc/reference/trd104-syscalls.md',
    ],
    ['HTTPS://DOC.RUST-LANG.ORG/std/', 'https://doc.rust-lang.org/std/'],
    ['https://docs.rs/a b', 'https://docs.rs/a%20b'],
  ])('opens %j as %j', (raw, opened) => {
    expect(externalUrl(raw)).toBe(opened);
  });

  it.each([
    'https://evil.example/',
    'https://doc.rust-lang.org@evil.example/',
    'https://doc.rust-lang.org.evil.example/',
    'https://user:pw@doc.rust-lang.org/',
    'https://doc.rust-lang.org:8443/',
    'http://doc.rust-lang.org/',
    'https://github.com/evil/tock/',
    'https://github.com/tock/../evil/x',
    'https://github.com/tock/%2e%2e/evil/x',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'ms-msdt:/id',
    'not a url',
  ])('refuses %j', (raw) => {
    expect(externalUrl(raw)).toBe(null);
  });
});

describe('permissions', () => {
  it('grants the clipboard, serial and USB checks to our own main frame only', () => {
    for (const p of ['clipboard-sanitized-write', 'serial', 'usb'])
      expect(permissionAllowed(p, 'capsule://app', true)).toBe(true);
    for (const p of [
      'media',
      'geolocation',
      'notifications',
      'hid',
      'midi',
      'clipboard-read',
      'openExternal',
      'fileSystem',
    ])
      expect(permissionAllowed(p, 'capsule://app', true)).toBe(false);
    expect(permissionAllowed('usb', 'capsule://app', false)).toBe(false);
    expect(permissionAllowed('usb', 'https://evil.example', true)).toBe(false);
    expect(permissionAllowed('usb', 'file:///', true)).toBe(false);
    expect(permissionAllowed('usb', 'capsule://evil', true)).toBe(false);
  });
});

describe('Electron fuses (electron-builder.yml)', () => {
  const yml = readFileSync(path.resolve(import.meta.dirname, '../../electron-builder.yml'), 'utf8');
  const fuse = (name: string) =>
    new RegExp(`^\\s+${name}:\\s*(true|false)\\s*$`, 'm').exec(yml)?.[1];

  it('keeps runAsNode on only while the build service needs it', () => {
    const build = readFileSync(path.resolve(import.meta.dirname, '../host/build.ts'), 'utf8');
    const needed = /ELECTRON_RUN_AS_NODE/.test(build);
    expect(fuse('runAsNode')).toBe(needed ? 'true' : 'false');
  });

  it('gives file:// pages no extra privileges, and no NODE_OPTIONS or --inspect', () => {
    expect(fuse('grantFileProtocolExtraPrivileges')).toBe('false');
    expect(fuse('enableNodeOptionsEnvironmentVariable')).toBe('false');
    expect(fuse('enableNodeCliInspectArguments')).toBe('false');
    expect(fuse('onlyLoadAppFromAsar')).toBe('true');
  });
});
