// ESLint flat config: recommended rules for JavaScript and TypeScript, plus the import
// boundaries that keep each folder runnable where it is meant to run.
//
// - emulator/** is pure TypeScript: no Node builtins, Electron, DOM libraries or browser
//   globals, except in emulator/node/** (its Node adapters: TCP servers, files).
// - renderer/** runs in a sandboxed page: no Node builtins and no Electron.
// Every other rule is `recommended`; an exception carries a written reason where it is made.
import js from '@eslint/js';
import globals from 'globals';
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  ...new Set(builtinModules.flatMap((m) => [m, `node:${m}`, `${m}/*`, `node:${m}/*`])),
];
const nodeOnlyPackages = ['ws', 'serialport', 'usb', 'tsx', 'esbuild', 'vite', 'playwright-core'];
const domLibraries = ['react', 'react-dom', 'react-dom/*', 'monaco-editor', 'monaco-editor/*'];

const importRule = (groups) => ['error', { patterns: groups }];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'out/**',
      'node_modules/**',
      'kernel/target/**',
      '**/target/**',
      'test-results/**',
      '.cache/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: {
      // Unused names prefixed with _ are deliberate (interface-conforming parameters).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': importRule([
        {
          group: nodeBuiltins,
          message:
            'renderer/ runs in a sandboxed page: no Node builtins (ask the host through main/common/contract.ts).',
        },
        {
          group: ['electron', ...nodeOnlyPackages],
          message: 'renderer/ must not import Electron or Node-only packages.',
        },
      ]),
    },
  },
  {
    files: ['renderer/vite.config.ts'],
    // The Vite config runs in Node at build time, not in the page.
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['emulator/**/*.ts'],
    ignores: ['emulator/node/**'],
    languageOptions: { globals: { ...globals.es2022 } },
    rules: {
      'no-restricted-imports': importRule([
        {
          group: nodeBuiltins,
          message: 'emulator/ core is pure TypeScript: Node builtins only in emulator/node/.',
        },
        {
          group: ['electron', ...nodeOnlyPackages, ...domLibraries],
          message: 'emulator/ core must not import Electron, Node-only or DOM libraries.',
        },
      ]),
      'no-restricted-globals': [
        'error',
        ...[
          'window',
          'document',
          'localStorage',
          'navigator',
          'process',
          'Buffer',
          'require',
          '__dirname',
        ].map((name) => ({
          name,
          message: `emulator/ core runs anywhere; ${name} is host-specific (inject it from emulator/node/ or the host).`,
        })),
      ],
    },
  },
);
