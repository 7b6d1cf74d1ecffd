// API tests: shapes, errors, what-if, async variants and module loading. They use the implementation
// chosen by MESHLOCK_IMPL (impl.mjs); the tests that only make sense for the native addon (file
// paths, the thread pool, ESM entry, worker threads, the JSON twin) are skipped under wasm.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { Worker } from 'node:worker_threads'

import { ENTRY, IMPL, meshlock, native } from './impl.mjs'

const { Mesh, MeshlockError, load, tour } = meshlock
const nativeOnly = { skip: native ? false : `native addon only (MESHLOCK_IMPL=${IMPL})` }

const NAMESPACE_FOO = `apiVersion: v1
kind: Namespace
metadata:
  name: foo
  labels:
    istio-injection: enabled
`

const APP = `apiVersion: v1
kind: Service
metadata:
  name: httpbin
spec:
  ports:
  - name: http
    port: 8000
    targetPort: 80
  selector:
    app: httpbin
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: httpbin
spec:
  selector:
    matchLabels:
      app: httpbin
  template:
    metadata:
      labels:
        app: httpbin
    spec:
      containers:
      - name: httpbin
        image: docker.io/kennethreitz/httpbin
        ports:
        - containerPort: 80
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: sleep
spec:
  selector:
    matchLabels:
      app: sleep
  template:
    metadata:
      labels:
        app: sleep
    spec:
      containers:
      - name: sleep
        image: curlimages/curl
`

const STRICT_FOO = `apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: default
  namespace: foo
spec:
  mtls:
    mode: STRICT
`

// The guide's step-1 Policy as published: `peers:` one level too deep (ML105 at line 9).
const PUBLISHED_POLICY = `apiVersion: "authentication.istio.io/v1alpha1"
kind: "Policy"
metadata:
  name: "example-httpbin-permissive"
  namespace: foo
spec:
  targets:
  - name: httpbin
    peers:
  - mtls:
      mode: PERMISSIVE
`

const STEP1_POLICY = `apiVersion: "authentication.istio.io/v1alpha1"
kind: "Policy"
metadata:
  name: "example-httpbin-permissive"
spec:
  targets:
  - name: httpbin
  peers:
  - mtls:
      mode: PERMISSIVE
`

const STEP3_POLICY = STEP1_POLICY.replace('PERMISSIVE', 'STRICT')

const OUTCOME_KEYS = ['from', 'to', 'status', 'curlExit', 'transport', 'verdict', 'reason', 'explain']
const DIAGNOSTIC_KEYS = ['code', 'name', 'severity', 'message', 'help', 'source', 'document', 'path', 'line', 'column']

/** The same keys; their order is checked for the native addon only (it keeps the core's order). */
function assertKeys(value, keys) {
  if (native) assert.deepEqual(Object.keys(value), keys)
  else assert.deepEqual(Object.keys(value).sort(), [...keys].sort())
}

function throwsMeshlock(fn, code, check = () => {}) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof MeshlockError, `expected a MeshlockError, got ${err}`)
    assert.ok(err instanceof Error)
    assert.equal(err.name, 'MeshlockError')
    assert.equal(err.code, code, err.message)
    assert.ok(Array.isArray(err.diagnostics))
    assert.equal(typeof err.message, 'string')
    assert.ok(err.message.length > 0)
    check(err)
    return true
  })
}

describe(`[${IMPL}] probe and matrix`, () => {
  test('seed: the guide before any step, field names and order as documented', () => {
    const mesh = Mesh.seed()
    const outcome = mesh.probe('legacy/sleep', 'httpbin.foo:8000')
    assertKeys(outcome, OUTCOME_KEYS)
    assert.equal(outcome.from, 'legacy/sleep')
    assert.equal(outcome.to, 'httpbin.foo.svc.cluster.local:8000')
    assert.equal(outcome.status, '200')
    assert.equal(outcome.curlExit, 0)
    assert.equal(outcome.transport, 'plaintext')
    assert.equal(outcome.verdict, 'ok')
    assert.equal(outcome.reason, 'plaintext')
    assert.ok(outcome.explain.length >= 2)
    for (const step of outcome.explain) {
      assertKeys(step, ['side', 'resource', 'text'])
      assert.ok(['client', 'network', 'server', 'result'].includes(step.side))
    }
    assert.equal(outcome.explain.at(-1).side, 'result')
  })

  test('settings: the guide release, and where each value came from', () => {
    assert.deepEqual(Mesh.seed().settings, {
      istioVersion: '1.1',
      istioVersionOrigin: 'explicit',
      autoMtls: false,
      autoMtlsOrigin: 'default',
      rootNamespace: 'istio-system',
      trustDomain: 'cluster.local',
    })
    const current = Mesh.fromYaml(NAMESPACE_FOO, { istioVersion: 'current', autoMtls: false, rootNamespace: 'mesh-root' }).settings
    assert.equal(current.istioVersionOrigin, 'explicit')
    assert.equal(current.autoMtls, false)
    assert.equal(current.autoMtlsOrigin, 'explicit')
    assert.equal(current.rootNamespace, 'mesh-root')
  })

  test('a strict server refuses a client without a sidecar: 000, curl exit 56', () => {
    const mesh = Mesh.seed().apply(STEP3_POLICY, { name: 'step3.yaml', namespace: 'foo' })
    const outcome = mesh.probe('legacy/sleep', 'httpbin.foo:8000/ip')
    assert.equal(outcome.status, '000')
    assert.equal(outcome.curlExit, 56)
    assert.equal(outcome.transport, 'plaintext')
    assert.equal(outcome.verdict, 'fail')
    assert.equal(outcome.reason, 'plaintext-to-strict')
  })

  test('unknown host and port: transport null, curl exits 6 and 7', () => {
    const mesh = Mesh.seed()
    const host = mesh.probe('legacy/sleep', 'nothing.foo:8000')
    assert.equal(host.transport, null)
    assert.equal(host.status, '000')
    assert.equal(host.curlExit, 6)
    assert.equal(host.reason, 'unknown-host')
    const port = mesh.probe('legacy/sleep', 'httpbin.foo:9999')
    assert.equal(port.curlExit, 7)
    assert.equal(port.reason, 'unknown-port')
  })

  test('matrix: every client × every service port, each edge equal to the probe', () => {
    const mesh = Mesh.seed()
    const matrix = mesh.matrix()
    assertKeys(matrix, ['settings', 'clients', 'services', 'edges'])
    assert.deepEqual(matrix.settings, mesh.settings)
    assert.deepEqual(
      matrix.clients.map((c) => c.id),
      ['bar/httpbin', 'bar/sleep', 'foo/httpbin', 'foo/sleep', 'legacy/sleep'],
    )
    assertKeys(matrix.clients[0], ['id', 'kind', 'sidecar', 'sidecarReason'])
    assert.equal(matrix.clients.find((c) => c.id === 'legacy/sleep').sidecar, false)
    assertKeys(matrix.services[0], ['id', 'namespace', 'name', 'port', 'portName', 'endpoints'])
    assert.equal(matrix.edges.length, matrix.clients.length * matrix.services.length)
    for (const edge of matrix.edges) {
      assertKeys(edge, ['from', 'to', 'status', 'curlExit', 'transport', 'verdict', 'reason'])
      const { explain, alternatives, ...probe } = mesh.probe(edge.from, edge.to)
      assert.deepEqual(edge, probe)
    }
  })
})

describe(`[${IMPL}] check`, () => {
  test('check: the input diagnostics plus matrix findings, a summary, failing edges, exposure', () => {
    const mesh = Mesh.seed().apply(STEP3_POLICY, { namespace: 'foo' })
    const report = mesh.check()
    assertKeys(report, ['diagnostics', 'summary', 'failing', 'exposure'])
    assertKeys(report.summary, ['edges', 'ok', 'failing', 'mtls', 'plaintext', 'byStatus'])
    const matrix = mesh.matrix()
    assert.equal(report.summary.edges, matrix.edges.length)
    assert.deepEqual(
      report.failing,
      matrix.edges.filter((e) => e.verdict === 'fail'),
    )
    assert.equal(report.summary.failing, report.failing.length)
    assert.equal(report.summary.byStatus['000'], report.failing.filter((e) => e.status === '000').length)
    for (const d of mesh.diagnostics) assert.ok(report.diagnostics.some((r) => r.code === d.code && r.message === d.message))
    for (const e of report.exposure) assertKeys(e, ['service', 'mode', 'plaintextCallers', 'authorization', 'findings'])
  })
})

describe(`[${IMPL}] loading and what-if`, () => {
  test('fromYaml: the name and namespace options reach the core', () => {
    const mesh = Mesh.fromYaml(APP, { name: 'app.yaml', namespace: 'foo', istioVersion: 'current' })
    assert.equal(mesh.probe('foo/sleep', 'httpbin:8000').to, 'httpbin.foo.svc.cluster.local:8000')
    throwsMeshlock(() => Mesh.fromYaml(PUBLISHED_POLICY, { name: 'published.yaml' }), 'invalid-input', (err) => {
      assert.ok(err.diagnostics.some((d) => d.source === 'published.yaml' && d.code === 'ML105'))
    })
  })

  test('load: inline sources and the built-in seed, in order', () => {
    const mesh = load(
      [
        { name: 'namespaces.yaml', text: NAMESPACE_FOO },
        { name: 'app.yaml', text: APP, namespace: 'foo' },
      ],
      { istioVersion: 'current' },
    )
    assert.equal(mesh.probe('foo/sleep', 'httpbin.foo:8000').reason, 'mtls')
    const strict = load(
      [
        { name: 'namespaces.yaml', text: NAMESPACE_FOO },
        { name: 'app.yaml', text: APP, namespace: 'foo' },
        { name: 'strict.yaml', text: STRICT_FOO },
      ],
      { istioVersion: 'current' },
    )
    assert.equal(strict.probe('foo/sleep', 'httpbin.foo:8000').reason, 'mtls')
    assert.equal(load([{ builtin: 'seed' }], { istioVersion: '1.1' }).probe('foo/sleep', 'httpbin.foo:8000').status, '200')
  })

  test('diagnostics: a property, with every field', () => {
    const mesh = load([{ builtin: 'seed' }, { name: 'step1.yaml', text: STEP1_POLICY, namespace: 'foo' }])
    const diagnostics = mesh.diagnostics
    assert.ok(Array.isArray(diagnostics))
    const inferred = diagnostics.find((d) => d.code === 'ML109')
    assert.ok(inferred, `ML109 (version inferred) expected, got ${JSON.stringify(diagnostics)}`)
    assertKeys(inferred, DIAGNOSTIC_KEYS)
    assert.equal(inferred.severity, 'info')
    assert.equal(inferred.name, 'version-inferred')
    assert.equal(mesh.settings.istioVersion, '1.1')
    assert.equal(mesh.settings.istioVersionOrigin, 'inferred')
    assert.deepEqual(Mesh.seed().diagnostics, [])
  })

  test('apply: a new mesh; the original is unchanged; a same-named resource replaces', () => {
    const seed = Mesh.seed()
    const step1 = seed.apply({ name: 'step1.yaml', text: STEP1_POLICY, namespace: 'foo' })
    const step3 = step1.apply([STEP3_POLICY], { namespace: 'foo' })
    assert.ok(step1 instanceof Mesh)
    assert.equal(seed.probe('legacy/sleep', 'httpbin.foo:8000').status, '200')
    assert.equal(step1.probe('legacy/sleep', 'httpbin.foo:8000').status, '200')
    assert.equal(step3.probe('legacy/sleep', 'httpbin.foo:8000').status, '000')
    // The step-3 policy has the step-1 name: it replaces it, there is never a second policy.
    assert.ok(!step3.diagnostics.some((d) => d.code === 'ML201'))
    throwsMeshlock(() => seed.apply(PUBLISHED_POLICY), 'invalid-input', (err) => {
      const d = err.diagnostics.find((d) => d.code === 'ML105')
      assert.ok(d)
      assert.equal(d.source, 'input.yaml')
    })
  })

  test('tour: the guide replayed, five steps of three rows', () => {
    const t = tour()
    assert.equal(t.istioVersion, '1.1')
    assert.deepEqual(
      t.steps.map((s) => s.id),
      ['0', '1', '2', '3', "3'"],
    )
    for (const step of t.steps) {
      assert.equal(step.rows.length, 3)
      assert.ok(Array.isArray(step.publishedDiagnostics))
      for (const row of step.rows) assertKeys(row.outcome, OUTCOME_KEYS)
    }
    assert.ok(t.steps[1].publishedDiagnostics.some((d) => d.code === 'ML105'))
  })
})

describe(`[${IMPL}] errors`, () => {
  test('invalid input: code invalid-input with located diagnostics', () => {
    throwsMeshlock(
      () => load([{ builtin: 'seed' }, { name: 'step1-published.yaml', text: PUBLISHED_POLICY }], { istioVersion: '1.1' }),
      'invalid-input',
      (err) => {
        const d = err.diagnostics.find((d) => d.code === 'ML105')
        assert.ok(d, JSON.stringify(err.diagnostics))
        assertKeys(d, DIAGNOSTIC_KEYS)
        assert.deepEqual(
          { source: d.source, document: d.document, line: d.line, column: d.column, path: d.path, severity: d.severity },
          { source: 'step1-published.yaml', document: 0, line: 9, column: 5, path: 'spec.targets[0].peers', severity: 'error' },
        )
        assert.equal(d.name, 'misplaced-peers')
        assert.match(err.message, /ML105/)
      },
    )
  })

  test('bad probes: unknown-client, bad-client, bad-target', () => {
    const mesh = Mesh.seed()
    throwsMeshlock(() => mesh.probe('legacy/nobody', 'httpbin.foo:8000'), 'unknown-client', (err) => {
      assert.match(err.message, /legacy\/sleep/)
      assert.deepEqual(err.diagnostics, [])
    })
    throwsMeshlock(() => mesh.probe('sleep', 'httpbin.foo:8000'), 'bad-client')
    throwsMeshlock(() => mesh.probe('legacy/sleep', 'httpbin.foo:notaport'), 'bad-target')
  })

  test('bad options and sources: bad-request', () => {
    throwsMeshlock(() => Mesh.fromYaml(NAMESPACE_FOO, { istioVersio: '1.1' }), 'bad-request', (err) => {
      assert.match(err.message, /istio_?versio/i)
    })
    throwsMeshlock(() => Mesh.fromYaml(NAMESPACE_FOO, { istioVersion: '2.0' }), 'bad-request')
    throwsMeshlock(() => load([{ builtin: 'nope' }]), 'bad-request')
    throwsMeshlock(() => load([{ text: 'a: b' }]), 'bad-request')
  })

  test('MeshlockError is an Error subclass users can construct and match', () => {
    const err = new MeshlockError('boom', { code: 'io', diagnostics: [] })
    assert.ok(err instanceof Error)
    assert.equal(err.name, 'MeshlockError')
    assert.equal(err.code, 'io')
    assert.deepEqual(err.diagnostics, [])
    assert.equal(String(err), 'MeshlockError: boom')
    assert.equal(new MeshlockError('x').code, 'internal')
  })

  test('a thrown error has a JS stack that points at the caller', () => {
    try {
      Mesh.seed().probe('nope', 'x')
      assert.fail('expected a throw')
    } catch (err) {
      assert.match(err.stack, /^MeshlockError: bad client/)
      assert.match(err.stack, /api\.test\.mjs/)
    }
  })
})

describe(`[${IMPL}] native addon`, () => {
  test('load: file paths, named by their path in diagnostics', nativeOnly, () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshlock-node-'))
    try {
      const app = join(dir, 'app.yaml')
      const bad = join(dir, 'published.yaml')
      writeFileSync(join(dir, 'namespaces.yaml'), NAMESPACE_FOO)
      writeFileSync(app, APP)
      writeFileSync(bad, PUBLISHED_POLICY)
      const mesh = load([join(dir, 'namespaces.yaml'), app], { namespace: 'foo', istioVersion: 'current' })
      assert.equal(mesh.probe('foo/sleep', 'httpbin.foo:8000').reason, 'mtls')
      const mixed = Mesh.load([{ builtin: 'seed' }, join(dir, 'namespaces.yaml')], { istioVersion: '1.1' })
      assert.equal(mixed.probe('legacy/sleep', 'httpbin.foo:8000').status, '200')
      throwsMeshlock(() => load([bad]), 'invalid-input', (err) => {
        assert.ok(err.diagnostics.some((d) => d.source === bad && d.line === 9))
      })
      throwsMeshlock(() => load([join(dir, 'missing.yaml')]), 'io', (err) => assert.match(err.message, /missing\.yaml/))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('matrixAsync: a promise, resolved off the event loop to the same matrix', nativeOnly, async () => {
    const mesh = Mesh.seed().apply(STEP3_POLICY, { namespace: 'foo' })
    const pending = mesh.matrixAsync()
    assert.ok(pending instanceof Promise)
    const all = await Promise.all([pending, ...Array.from({ length: 8 }, () => mesh.matrixAsync())])
    for (const matrix of all) assert.deepEqual(matrix, mesh.matrix())
  })

  test('checkAsync: a promise of the same report', nativeOnly, async () => {
    const mesh = Mesh.seed().apply(STEP3_POLICY, { namespace: 'foo' })
    assert.deepEqual(await mesh.checkAsync(), mesh.check())
  })

  test('loadAsync: resolves to a Mesh, rejects with MeshlockError', nativeOnly, async () => {
    const mesh = await meshlock.loadAsync([{ builtin: 'seed' }], { istioVersion: '1.1' })
    assert.ok(mesh instanceof Mesh)
    assert.equal(mesh.probe('foo/sleep', 'httpbin.foo:8000').status, '200')
    await assert.rejects(meshlock.loadAsync([{ name: 'bad.yaml', text: PUBLISHED_POLICY }]), (err) => {
      assert.ok(err instanceof MeshlockError)
      assert.equal(err.code, 'invalid-input')
      assert.ok(err.diagnostics.some((d) => d.code === 'ML105'))
      return true
    })
    await assert.rejects(meshlock.loadAsync(['/nonexistent/meshlock.yaml']), { name: 'MeshlockError', code: 'io' })
  })

  test('text renderings: explain, matrix table and CSV, tour', nativeOnly, () => {
    const mesh = Mesh.seed()
    assert.match(mesh.explain('legacy/sleep', 'httpbin.foo:8000'), /200/)
    assert.match(mesh.matrixTable(), /legacy\/sleep/)
    assert.match(mesh.matrixCsv().split('\n')[0], /,/)
    assert.match(meshlock.tourText(), /Mutual TLS Migration/)
  })

  test('callJson: the JSON twin answers JSON, errors as data', nativeOnly, () => {
    const ok = JSON.parse(
      meshlock.callJson(JSON.stringify({ op: 'probe', sources: [{ builtin: 'seed' }], from: 'legacy/sleep', to: 'httpbin.foo:8000' })),
    )
    assert.equal(ok.type, 'success')
    assert.equal(ok.curl_exit, 0)
    const bad = JSON.parse(meshlock.callJson('{"op": "probe"}'))
    assert.equal(bad.type, 'failure')
    assert.equal(bad.code, 'bad-request')
  })

  test('the ESM entry exports exactly the CommonJS names', nativeOnly, async () => {
    const esm = await import('meshlock')
    const cjsNames = Object.keys(meshlock).filter((n) => !n.startsWith('__'))
    const esmNames = Object.keys(esm).filter((n) => n !== 'default')
    assert.deepEqual(esmNames.sort(), cjsNames.sort())
    assert.equal(esm.default, meshlock)
    assert.equal(esm.Mesh, Mesh)
    assert.equal(esm.MeshlockError, MeshlockError)
  })

  test('worker threads: each has its own MeshlockError class', nativeOnly, async () => {
    const code = `
      const { parentPort } = require('node:worker_threads')
      const { Mesh, MeshlockError } = require(${JSON.stringify(ENTRY)})
      const status = Mesh.seed().probe('legacy/sleep', 'httpbin.foo:8000').status
      let code = null, isError = false
      try { Mesh.seed().probe('nope', 'x') } catch (err) { code = err.code; isError = err instanceof MeshlockError && err instanceof Error }
      parentPort.postMessage({ status, code, isError })
    `
    const worker = new Worker(code, { eval: true })
    const message = await new Promise((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    await worker.terminate()
    assert.deepEqual(message, { status: '200', code: 'bad-client', isError: true })
  })
})
