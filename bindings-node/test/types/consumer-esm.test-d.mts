// Type test for ESM consumers: `import` resolves through the `exports` map to the same types.
import meshlock, { Mesh, MeshlockError, check, checkSarif, diff, load, type Diff, type Matrix, type Outcome, type Plan } from 'meshlock'

const outcome: Outcome = Mesh.seed().probe('legacy/sleep', 'httpbin.foo:8000')
const matrix: Matrix = await load([{ builtin: 'seed' }]).matrixAsync()
const sameClass: typeof MeshlockError = meshlock.MeshlockError
// @ts-expect-error curlExit is a number
const exit: string = outcome.curlExit

const plan: Plan = await Mesh.seed().planAsync({ allowBreak: ['legacy/sleep'] })
const changes: Diff = diff(Mesh.seed(), Mesh.seed())
const reports = [check([{ builtin: 'seed' }]), checkSarif([{ builtin: 'seed' }])] as const

void [matrix, sameClass, exit, plan, changes, reports]
