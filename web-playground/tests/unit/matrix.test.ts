import type { Edge, Matrix } from 'meshlock-wasm'
import { describe, expect, test } from 'vitest'
import { cellIcons } from '../../src/icons'
import { type MatrixData, NO_EDGE, clientNamespaces, compactMatrix, describeEdge, edgeAt, expandMatrix, filterMatrix, findEdge, lock, serviceNamespaces, shortTarget, summarize, tone } from '../../src/matrix'

const settings = { istioVersion: '1.1', istioVersionOrigin: 'explicit', autoMtls: false, autoMtlsOrigin: 'default', rootNamespace: 'istio-system', trustDomain: 'cluster.local' } as const

function edge(from: string, to: string, status: string, transport: Edge['transport'], reason: Edge['reason']): Edge {
  const curlExit = status === '000' ? 56 : 0
  return { from, to, status, curlExit, transport, verdict: status === '200' ? 'ok' : 'fail', reason }
}

// The seed after the lock-down (step 3), three clients × two service ports.
const full: Matrix = {
  settings,
  clients: [
    { id: 'bar/sleep', kind: 'Deployment', sidecar: true, sidecarReason: 'the pod has an istio-proxy container' },
    { id: 'foo/sleep', kind: 'Deployment', sidecar: true, sidecarReason: 'the pod has an istio-proxy container' },
    { id: 'legacy/sleep', kind: 'Deployment', sidecar: false, sidecarReason: 'no istio-proxy container' },
  ],
  services: [
    { id: 'httpbin.bar.svc.cluster.local:8000', namespace: 'bar', name: 'httpbin', port: 8000, portName: 'http', endpoints: ['bar/httpbin'] },
    { id: 'httpbin.foo.svc.cluster.local:8000', namespace: 'foo', name: 'httpbin', port: 8000, portName: 'http', endpoints: ['foo/httpbin'] },
  ],
  edges: [
    edge('bar/sleep', 'httpbin.bar.svc.cluster.local:8000', '200', 'plaintext', 'plaintext'),
    edge('bar/sleep', 'httpbin.foo.svc.cluster.local:8000', '200', 'mtls', 'mtls'),
    edge('foo/sleep', 'httpbin.bar.svc.cluster.local:8000', '200', 'plaintext', 'plaintext'),
    edge('foo/sleep', 'httpbin.foo.svc.cluster.local:8000', '200', 'mtls', 'mtls'),
    edge('legacy/sleep', 'httpbin.bar.svc.cluster.local:8000', '200', 'plaintext', 'plaintext'),
    edge('legacy/sleep', 'httpbin.foo.svc.cluster.local:8000', '000', 'plaintext', 'plaintext-to-strict'),
  ],
}

const matrix = compactMatrix(full) as MatrixData

describe('the compact matrix the worker sends', () => {
  test('packs the distinct outcomes and round-trips losslessly', () => {
    expect(matrix.kinds).toHaveLength(3)
    expect(Array.from(matrix.cells)).toEqual([0, 1, 0, 1, 0, 2])
    expect(expandMatrix(matrix)).toEqual(full)
  })

  test('refuses edges out of the client-major order, or of a client or port it does not list', () => {
    expect(compactMatrix({ ...full, edges: [...full.edges].reverse() })).toBeNull()
    expect(compactMatrix({ ...full, edges: [...full.edges, edge('nobody/x', 'httpbin.foo.svc.cluster.local:8000', '200', 'mtls', 'mtls')] })).toBeNull()
  })

  test('edges left out (an edge scope) are holes: no edge there, rows and columns without one hidden', () => {
    const declared: Matrix = {
      ...full,
      edges: [full.edges[1], full.edges[3]].map((e) => ({ ...(e as Edge), evidence: ['declared', 'possible'] as Edge['evidence'] })),
    }
    const holed = compactMatrix(declared) as MatrixData
    expect(expandMatrix(holed)).toEqual(declared)
    expect(Array.from(holed.cells)).toEqual([NO_EDGE, 0, NO_EDGE, 0, NO_EDGE, NO_EDGE])
    expect(edgeAt(holed, 0, 0)).toBeUndefined()
    expect(edgeAt(holed, 1, 1)?.evidence).toEqual(['declared', 'possible'])
    expect(filterMatrix(holed, { clientNs: '', serviceNs: '', verdict: 'all' })).toEqual({ rows: [0, 1], cols: [1] })
    expect(summarize(holed)).toEqual({ edges: 2, ok: 2, fail: 0, mtls: 2, plaintext: 0 })
    expect(findEdge(holed, 'foo/sleep', 'httpbin.foo.svc.cluster.local:8000')?.evidence).toEqual(['declared', 'possible'])
    expect(findEdge(holed, 'legacy/sleep', 'httpbin.foo.svc.cluster.local:8000')).toBeUndefined()
  })

  test('the same outcome with other evidence is another kind', () => {
    const weighed: Matrix = { ...full, edges: full.edges.map((e, i) => ({ ...e, evidence: i === 0 ? ['observed', 'possible'] : ['possible'] })) }
    const packed = compactMatrix(weighed) as MatrixData
    expect(packed.kinds).toHaveLength(4)
    expect(expandMatrix(packed)).toEqual(weighed)
    expect(describeEdge(edgeAt(packed, 0, 0) as Edge)).toMatch(/; evidence: observed, possible$/)
  })
})

describe('matrix helpers', () => {
  test('edges are client-major', () => {
    expect(edgeAt(matrix, 2, 1)?.status).toBe('000')
    expect(edgeAt(matrix, 1, 0)?.from).toBe('foo/sleep')
    expect(edgeAt(matrix, 3, 0)).toBeUndefined()
  })

  test('namespaces for the filters', () => {
    expect(clientNamespaces(matrix)).toEqual(['bar', 'foo', 'legacy'])
    expect(serviceNamespaces(matrix)).toEqual(['bar', 'foo'])
  })

  test('filters: namespaces, then rows and columns holding a cell of the verdict', () => {
    const all = { clientNs: '', serviceNs: '', verdict: 'all' } as const
    expect(filterMatrix(matrix, all)).toEqual({ rows: [0, 1, 2], cols: [0, 1] })
    expect(filterMatrix(matrix, { ...all, clientNs: 'legacy' })).toEqual({ rows: [2], cols: [0, 1] })
    expect(filterMatrix(matrix, { ...all, verdict: 'fail' })).toEqual({ rows: [2], cols: [1] })
    expect(filterMatrix(matrix, { ...all, verdict: 'fail', serviceNs: 'bar' })).toEqual({ rows: [], cols: [] })
    expect(filterMatrix(matrix, { ...all, verdict: 'ok', clientNs: 'legacy' })).toEqual({ rows: [2], cols: [0] })
  })

  test('cell classification pairs every colour with an icon', () => {
    const [plain, mtls, , , , reset] = full.edges as [Edge, Edge, Edge, Edge, Edge, Edge]
    expect([tone(plain), lock(plain)]).toEqual(['ok-plaintext', 'open'])
    expect([tone(mtls), lock(mtls)]).toEqual(['ok-mtls', 'closed'])
    expect([tone(reset), lock(reset)]).toEqual(['fail', 'open'])
    expect(tone({ verdict: 'fail', transport: 'mtls', reason: 'rbac-denied' })).toBe('denied')
    expect(tone({ verdict: 'fail', transport: 'plaintext', reason: 'plaintext-to-strict' })).toBe('fail')
    expect(lock({ transport: null })).toBe('none')
    expect(cellIcons('ok-mtls', 'closed')).toContain('aria-label="mutual TLS"')
    expect(cellIcons('ok-plaintext', 'open')).toContain('aria-label="plaintext"')
    expect(cellIcons('fail', 'open')).toMatch(/aria-label="fails".*aria-label="plaintext"/)
    expect(cellIcons('fail', 'none')).not.toContain('aria-label="plaintext"')
  })

  test('labels', () => {
    expect(shortTarget('httpbin.foo.svc.cluster.local:8000')).toBe('httpbin.foo:8000')
    expect(shortTarget('nothing.foo:80')).toBe('nothing.foo:80')
    expect(describeEdge(full.edges[5] as Edge)).toBe('legacy/sleep → httpbin.foo:8000: 000 (plaintext, curl exit 56), fail: plaintext-to-strict')
    expect(summarize(matrix)).toEqual({ edges: 6, ok: 5, fail: 1, mtls: 2, plaintext: 4 })
  })
})
