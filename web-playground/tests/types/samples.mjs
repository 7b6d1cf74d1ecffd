// Writes samples.generated.ts: real results of the WASM build (through its Node adapter), each as a
// TypeScript literal with `satisfies <Type>`, for `tsc -p tests/types` to check against the types
// (generated from the core's Rust types). The samples are the native addon's
// (bindings-node/test/types/samples.mjs), less those read from files: the browser engine has none.
import { createRequire } from 'node:module'
import { writeSamples } from '../../../bindings-node/test/types/samples.mjs'

writeSamples({
  api: createRequire(import.meta.url)('../../node/index.cjs'),
  types: '../../node/index.cjs',
  out: new URL('./samples.generated.ts', import.meta.url),
  files: false,
})
