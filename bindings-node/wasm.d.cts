// wasm.cjs serves the package's API (index.d.ts) on the WebAssembly engine.
export * from './index.js'
