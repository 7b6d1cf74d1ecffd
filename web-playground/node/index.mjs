// ESM entry of the WASM Node adapter: the same names as index.cjs.
import meshlock from './index.cjs'

export const { Mesh, MeshlockError, load, loadAsync, diff, check, checkSarif, tour, tourText, callJson, version, __bindingTarget, __panicForTests } =
  meshlock
export default meshlock
