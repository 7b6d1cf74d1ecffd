// Writes samples.generated.ts: real results of the WASM build (through the Node package's adapter,
// bindings-node/wasm.cjs, which reads files through node:fs as the native addon does), each as a
// TypeScript literal with `satisfies <Type>`, checked by `tsc -p tests/types` against the types of the
// WASM pkg (generated from the core's Rust types). The samples are the native addon's
// (bindings-node/test/types/samples.mjs): one API, two engines.
import { createRequire } from 'node:module'
import { writeSamples } from '../../../bindings-node/test/types/samples.mjs'

writeSamples({
  api: createRequire(import.meta.url)('../../../bindings-node/wasm.cjs'),
  types: '../../pkg-node/meshlock_wasm.js',
  out: new URL('./samples.generated.ts', import.meta.url),
})
