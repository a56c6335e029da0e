import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FieldDeclarations, fieldIn } from './tock-decl';

const root = mkdtempSync(path.join(tmpdir(), 'tock-decl-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function file(rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
}

describe('field declarations in the source', () => {
  it('finds a field in its struct, not a same-named one elsewhere', () => {
    const text = [
      'struct Other {',
      '    buffer: u8,',
      '}',
      '/// A console.',
      "pub struct Console<'a, U: Uart> {",
      "    uart: &'a U,",
      "    pub(crate) buffer: TakeCell<'static, [u8]>,",
      '}',
    ].join('\n');
    expect(fieldIn(text, 'Console', 'buffer')).toEqual({ line: 7, column: 16 });
    expect(fieldIn(text, 'Console', 'missing')).toBeNull();
    expect(fieldIn(text, 'Absent', 'buffer')).toBeNull();
  });

  it('resolves crate and module from the owner path, with mod.rs and other files', () => {
    file('Cargo.toml', '[workspace]\nmembers = ["capsules", "chips/nrf52"]\n');
    file('capsules/Cargo.toml', '[package]\nname = "capsules"\n');
    file('capsules/src/console.rs', 'pub struct Console {\n    buffer: TakeCell<u8>,\n}\n');
    file('chips/nrf52/Cargo.toml', '[package]\nname = "nrf52-chip"\n');
    file(
      'chips/nrf52/src/uarte/mod.rs',
      'pub struct Uarte {\n    a: u8,\n    tx_buf: TakeCell<u8>,\n}\n',
    );
    file('chips/nrf52/src/dma.rs', 'pub struct Moved {\n    buffer: OptionalCell<u8>,\n}\n');
    file('target/x/src/console.rs', 'pub struct Console { buffer: u8 }');
    const d = new FieldDeclarations(root);
    expect(d.find('capsules::console::Console', 'buffer')).toEqual({
      path: 'capsules/src/console.rs',
      inProject: true,
      line: 2,
      column: 5,
    });
    expect(d.find('nrf52_chip::uarte::Uarte', 'tx_buf')).toMatchObject({
      path: 'chips/nrf52/src/uarte/mod.rs',
      line: 3,
    });
    // Re-exported elsewhere than its module path says: any file of the crate.
    expect(d.find('nrf52_chip::other::Moved', 'buffer')).toMatchObject({
      path: 'chips/nrf52/src/dma.rs',
    });
    expect(d.find('unknown::x::Y', 'z')).toBeNull();
  });
});
