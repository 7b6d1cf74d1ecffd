// Vite: the playground as a static site (npm run build → dist/), its dev server, and vitest.
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import { examplesPlugin } from './scripts/examples-plugin.mjs'
import { cspPlugin, offlinePlugin } from './scripts/site-plugins.mjs'

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))

export default defineConfig({
  base: './',
  plugins: [examplesPlugin(here('../tests/scenarios')), cspPlugin(), offlinePlugin()],
  resolve: {
    alias: { 'meshlock-wasm': here('./pkg/meshlock_wasm.js') },
  },
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    // The engine is one ~1.5 MB wasm file by design; keep it out of the inline-asset path.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1024,
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: false, fs: { allow: [here('..')] } },
  preview: { host: '127.0.0.1', port: 4173 },
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/engine/**/*.test.ts'],
    environment: 'node',
  },
})
