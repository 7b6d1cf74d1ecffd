// ESM entry point: the CommonJS entry (loader.cjs around the generated index.js), re-exported by name.
// test/api.test.mjs checks that these names are exactly the CommonJS exports.
import { createRequire } from 'node:module'

const meshlock = createRequire(import.meta.url)('./loader.cjs')

export const { Mesh, MeshlockError, load, loadAsync, check, checkSarif, diff, tour, tourText, callJson } = meshlock
export default meshlock
