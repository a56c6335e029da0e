/**
 * The board registry for the build scripts: the same emulator/boards/boards.json that
 * emulator/boards/registry.ts reads, so the build, the CLI, the IDE and the tests agree on
 * every board's name, machine, chip, SVD and OpenOCD configuration.
 *
 * Usage:
 *   import { resolveBoard } from './boards.mjs';
 *   const r = resolveBoard('microbit_v2'); // { name: 'microbit-v2', board: {...}, notice: "board ..." }
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const file = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'emulator',
  'boards',
  'boards.json',
);

/** Every registered board, in registry order. */
export function registeredBoards() {
  return JSON.parse(readFileSync(file, 'utf8')).boards;
}

/**
 * The board for `name`: its name, or a former name (then `notice` is the one line to print).
 * Names the registry does not know are returned as they are (a project may add its own
 * boards): `board` is then null.
 */
export function resolveBoard(name) {
  const boards = registeredBoards();
  const exact = boards.find((b) => b.name === name);
  if (exact) return { name, board: exact };
  const old = boards.find((b) => b.aliases.includes(name));
  if (old)
    return {
      name: old.name,
      board: old,
      notice: `board '${name}' is now called '${old.name}' (the old name still works)`,
    };
  return { name, board: null };
}
