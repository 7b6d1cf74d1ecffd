// wasm.cjs serves the package's API (index.d.ts) on the WebAssembly engine.
export * from './index.js'
/** Test hook of the WebAssembly engine: panics inside it (the native addon's is `__unwindForTests`). */
export declare function __panicForTests(): void
