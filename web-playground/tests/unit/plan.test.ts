import type { EdgeChange, Matrix, Plan, PlanStep } from 'meshlock-wasm'
import { describe, expect, test } from 'vitest'
import { type MatrixData, compactMatrix, edgeAt } from '../../src/matrix'
import { allowBreakChoices, applyDelta, cellKey, changeSummary, changedCells, goalChoices, planYaml, stepMatrices } from '../../src/plan'

const settings = { istioVersion: '1.1', istioVersionOrigin: 'explicit', autoMtls: false, autoMtlsOrigin: 'default', rootNamespace: 'istio-system', trustDomain: 'cluster.local' } as const
const HTTPBIN = 'httpbin.foo.svc.cluster.local:8000'
const plain = { status: '200', curlExit: 0, transport: 'plaintext', verdict: 'ok', reason: 'plaintext' } as const
const mtls = { status: '200', curlExit: 0, transport: 'mtls', verdict: 'ok', reason: 'mtls' } as const

const full: Matrix = {
  settings,
  clients: [
    { id: 'foo/sleep', kind: 'Deployment', sidecar: true, sidecarReason: 'injected' },
    { id: 'legacy/sleep', kind: 'Deployment', sidecar: false, sidecarReason: 'no istio-proxy container' },
  ],
  services: [{ id: HTTPBIN, namespace: 'foo', name: 'httpbin', port: 8000, portName: 'http', endpoints: ['foo/httpbin'] }],
  edges: [
    { from: 'foo/sleep', to: HTTPBIN, ...plain },
    { from: 'legacy/sleep', to: HTTPBIN, ...plain },
  ],
}
const base = compactMatrix(full) as MatrixData

const toMtls: EdgeChange = { from: 'foo/sleep', to: HTTPBIN, before: plain, after: mtls, change: 'plaintext → mtls', cause: [] }
const DR = 'apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata:\n  name: httpbin-istio-mutual\n  namespace: foo\nspec:\n  host: httpbin.foo.svc.cluster.local\n  trafficPolicy:\n    tls:\n      mode: ISTIO_MUTUAL\n'

function step(name: string, delta: EdgeChange[], extra: Partial<PlanStep> = {}): PlanStep {
  return { name, description: `step ${name}`, apply: [DR], delete: [], rollback: [], rollbackDelete: ['apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata:\n  name: httpbin-istio-mutual\n  namespace: foo\n'], delta, groups: [], stages: {}, prechecks: [], ...extra }
}

const plan: Plan = {
  goal: { type: 'strict' },
  notes: ['`foo` already accepts mTLS'],
  steps: [step('01-client-mtls-httpbin-foo', [toMtls], { prechecks: ['kubectl get dr -n foo'] })],
  blockedEdges: 1,
  blockers: [
    {
      client: 'legacy/sleep',
      service: HTTPBIN,
      wouldGet: '000',
      reason: 'plaintext-to-strict',
      step: 'lock-httpbin-foo',
      remedies: [{ kind: 'allow-break', target: 'legacy/sleep', description: 'accept it', action: '--allow-break legacy/sleep' }],
      evidence: ['possible'],
      evidenceText: 'possible',
    },
  ],
  heldBack: ['lock-httpbin-foo'],
  blockingClients: [{ clients: ['legacy/sleep'], clientsText: 'legacy/sleep', holds: ['lock-httpbin-foo'], holdsText: 'lock-httpbin-foo' }],
  remedySet: [
    { kind: 'allow-break', target: 'legacy/sleep', description: 'accept it', action: '--allow-break legacy/sleep', edges: 1, released: 1, alternatives: [] },
  ],
  final: { edges: 2, ok: 2, failing: 0, mtls: 1, plaintext: 1, namespaces: { foo: 'ready' }, mesh: 'ready' },
}

describe('the matrix after each step', () => {
  test('a delta changes exactly its cells, adding the outcomes the base lacks', () => {
    const after = applyDelta(base, [toMtls]) as MatrixData
    expect(edgeAt(after, 0, 0)).toEqual({ from: 'foo/sleep', to: HTTPBIN, ...mtls })
    expect(edgeAt(after, 1, 0)).toEqual(edgeAt(base, 1, 0))
    expect(after.kinds).toHaveLength(2)
    // The base is not touched.
    expect(edgeAt(base, 0, 0)?.transport).toBe('plaintext')
  })

  test('a change that adds or removes an edge cannot be laid on the grid', () => {
    expect(applyDelta(base, [{ ...toMtls, before: null, change: 'none → mtls' }])).toBeNull()
    expect(applyDelta(base, [{ ...toMtls, from: 'bar/sleep' }])).toBeNull()
    expect(stepMatrices(base, { ...plan, steps: [step('01', [{ ...toMtls, after: null }]), step('02', [])] })).toEqual([null, null])
  })

  test('steps accumulate; the changed cells are the step’s delta', () => {
    const [first] = stepMatrices(base, plan)
    expect(first && edgeAt(first, 0, 0)?.transport).toBe('mtls')
    expect(changedCells(plan.steps[0])).toEqual(new Map([[cellKey('foo/sleep', HTTPBIN), 'plaintext → mtls']]))
    expect(changedCells(undefined).size).toBe(0)
    expect(changeSummary([toMtls, toMtls])).toBe('plaintext → mtls: 2')
  })
})

describe('choices and the download', () => {
  test('goals: strict, mesh-strict, then one per namespace', () => {
    expect(goalChoices(['bar', 'foo']).map((g) => g.value)).toEqual(['strict', 'mesh-strict', 'namespace=bar', 'namespace=foo'])
  })

  test('allow-break choices: the blockers’ clients and those already allowed', () => {
    expect(allowBreakChoices(plan, ['zeta/job'])).toEqual(['legacy/sleep', 'zeta/job'])
    expect(allowBreakChoices(null, [])).toEqual([])
  })

  test('the plan YAML: every step’s manifests in order, headed by comments', () => {
    const yaml = planYaml(plan, ['legacy/sleep'])
    expect(yaml.startsWith('# meshlock plan: goal strict, allowed to break: legacy/sleep\n')).toBe(true)
    expect(yaml).toContain('# held back: legacy/sleep → httpbin.foo.svc.cluster.local:8000 would get 000 (plaintext-to-strict) at lock-httpbin-foo')
    expect(yaml).toContain('---\n# ---- step 01-client-mtls-httpbin-foo: step 01-client-mtls-httpbin-foo\n# before: kubectl get dr -n foo\n# rollback: delete\n#   apiVersion: networking.istio.io/v1alpha3\n')
    expect(yaml.endsWith(DR)).toBe(true)
    expect(planYaml({ ...plan, goal: { type: 'namespaces', namespaces: ['foo', 'bar'] } }, [])).toMatch(/^# meshlock plan: goal namespace=foo,bar\n/)
  })
})
