// The engine under test, chosen by MESHLOCK_IMPL: `native` (default) or `wasm`. Either way the
// package is loaded through its own name (so the package.json `exports` map is exercised), and its
// loader (loader.cjs) reads MESHLOCK_IMPL: one JS API, two engines.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

export const IMPL = process.env.MESHLOCK_IMPL || 'native'
process.env.MESHLOCK_IMPL = IMPL

/** The resolved file of the entry point (for worker threads, which inherit MESHLOCK_IMPL). */
export const ENTRY = require.resolve('meshlock')
export const meshlock = require(ENTRY)
export const native = IMPL === 'native'
