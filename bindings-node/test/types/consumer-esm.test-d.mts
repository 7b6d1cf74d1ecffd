// Type test for ESM consumers: `import` resolves through the `exports` map to the same types.
import meshlock, { Mesh, MeshlockError, load, type Matrix, type Outcome } from 'meshlock'

const outcome: Outcome = Mesh.seed().probe('legacy/sleep', 'httpbin.foo:8000')
const matrix: Matrix = await load([{ builtin: 'seed' }]).matrixAsync()
const sameClass: typeof MeshlockError = meshlock.MeshlockError
// @ts-expect-error curlExit is a number
const exit: string = outcome.curlExit

void [matrix, sameClass, exit]
