// The implementation under test, chosen by MESHLOCK_IMPL: `native` (default: this package, through
// its own name, so the package.json `exports` map is exercised) or `wasm` (the WASM build's Node
// entry, web-playground/node/index.cjs, which exports the same JS API).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

export const IMPL = process.env.MESHLOCK_IMPL || 'native'

const ENTRIES = {
  native: 'meshlock',
  wasm: '../../web-playground/node/index.cjs',
}

if (!(IMPL in ENTRIES)) {
  throw new Error(`MESHLOCK_IMPL must be one of ${Object.keys(ENTRIES).join(', ')}, got \`${IMPL}\``)
}

/** The resolved file of the entry point (for worker threads). */
export const ENTRY = require.resolve(ENTRIES[IMPL])
export const meshlock = require(ENTRY)
export const native = IMPL === 'native'
