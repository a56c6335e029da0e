/**
 * Vite configuration for the Capsule Studio renderer (React + Monaco, bundled locally).
 *
 * Output goes to dist/renderer with relative asset URLs so the same bundle loads from
 * file:// in Electron and from the browser-mode server. Nothing is fetched from a CDN.
 */
import react from '@vitejs/plugin-react';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  plugins: [react()],
  build: {
    outDir: path.resolve(here, '..', 'dist', 'renderer'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 8192,
    sourcemap: false,
  },
  worker: { format: 'es' },
});
