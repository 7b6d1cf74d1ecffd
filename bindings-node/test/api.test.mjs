// API tests: shapes, errors, what-if, async variants and module loading. They use the engine chosen
// by MESHLOCK_IMPL (impl.mjs) behind the one JS API; the one test that only makes sense for the
// native addon (the thread pool) is skipped under wasm.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, test } from 'node:test'
import { Worker } from 'node:worker_threads'

import { ENTRY, IMPL, meshlock, native } from './impl.mjs'

const { Mesh, MeshlockError, load, tour } = meshlock
const nativeOnly = { skip: native ? false : `native addon only (MESHLOCK_IMPL=${IMPL})` }


/** The seed after the guide's steps 1 and 2 (PERMISSIVE Policy, ISTIO_MUTUAL DestinationRule in foo). */
const seedAtStep2 = () =>
  Mesh.seed().apply(
    ['step1-policy.yaml', 'step2-destinationrule.yaml'].map((name) => ({ name, text: CORE_SEED(name), namespace: 'foo' })),
  )
const TELEMETRY = (name) => fileURLToPath(new URL(`../../tests/telemetry/${name}`, import.meta.url))
const CORE_SEED = (name) => readFileSync(new URL(`../../core/seed/${name}`, import.meta.url), 'utf8')

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
const PUBLISHED_POLICY = CORE_SEED('step1-policy.published.yaml')

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
const REPORT_KEYS = ['diagnostics', 'summary', 'failing', 'groups', 'exposure']
const EDGE_GROUP_KEYS = ['effect', 'change', 'reason', 'resource', 'edges', 'clients', 'clientsText', 'services', 'servicesText', 'examples']
const CLIENT_GROUP_KEYS = ['clients', 'clientsText', 'holds', 'holdsText']
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

  test('namespaceMap: edges per outcome class for each namespace pair, adding up; matrixBetween: one pair', () => {
    const mesh = Mesh.seed()
    const map = mesh.namespaceMap()
    assertKeys(map, ['clients', 'servicePorts', 'edges', 'totals', 'worst', 'namespaces', 'pairs'])
    assertKeys(map.totals, ['okMtls', 'okPlaintext', 'denied', 'otherFailure', 'mtlsBroken'])
    assertKeys(map.namespaces[0], ['name', 'clients', 'servicePorts'])
    assertKeys(map.pairs[0], ['from', 'to', 'edges', 'counts', 'worst'])
    assert.deepEqual(map.namespaces.map((n) => n.name), ['bar', 'foo', 'legacy'])
    const matrix = mesh.matrix()
    assert.equal(map.edges, matrix.edges.length)
    assert.equal(map.pairs.reduce((n, p) => n + p.edges, 0), map.edges)
    const pair = mesh.matrixBetween('legacy', 'foo')
    assert.deepEqual(pair.clients.map((c) => c.id), ['legacy/sleep'])
    assert.equal(pair.edges.length, map.pairs.find((p) => p.from === 'legacy' && p.to === 'foo').edges)
    assert.deepEqual(mesh.matrixBetween(null, null), matrix)
    assert.deepEqual(mesh.matrixBetween(), matrix)
  })
})

describe(`[${IMPL}] check`, () => {
  test('check: the input diagnostics plus matrix findings, a summary, failing edges grouped, exposure', () => {
    const mesh = Mesh.seed().apply(STEP3_POLICY, { namespace: 'foo' })
    const report = mesh.check()
    assertKeys(report, REPORT_KEYS)
    assertKeys(report.summary, ['edges', 'ok', 'failing', 'mtls', 'plaintext', 'byStatus', 'denied', 'mtlsBroken'])
    const matrix = mesh.matrix()
    assert.equal(report.summary.edges, matrix.edges.length)
    assert.deepEqual(
      report.failing,
      matrix.edges.filter((e) => e.verdict === 'fail'),
    )
    assert.equal(report.summary.failing, report.failing.length)
    assert.equal(report.summary.byStatus['000'], report.failing.filter((e) => e.status === '000').length)
    for (const d of mesh.diagnostics) assert.ok(report.diagnostics.some((r) => r.code === d.code && r.message === d.message))
    for (const e of report.exposure) assertKeys(e, ['service', 'mode', 'plaintextClients', 'plaintextCallers', 'plaintextCallersText', 'authorization', 'findings'])
    // STRICT on httpbin.foo without the clients' DestinationRule: mTLS breaks all five callers, the
    // sidecars with 503 and legacy/sleep with 000, one group per status; nothing is denied by authorization.
    assert.deepEqual([report.summary.failing, report.summary.mtlsBroken, report.summary.denied], [5, 5, 0])
    for (const group of report.groups) {
      assertKeys(group, EDGE_GROUP_KEYS)
      for (const example of group.examples) assertKeys(example, ['from', 'to'])
    }
    assert.deepEqual(
      report.groups.map((g) => [g.effect, g.change, g.reason, g.resource, g.edges, g.clients, g.servicesText]),
      [
        ['mtls-broken', '503', 'plaintext-to-strict', 'Policy foo/example-httpbin-permissive', 4, 4, 'httpbin.foo:8000'],
        ['mtls-broken', '000', 'plaintext-to-strict', 'Policy foo/example-httpbin-permissive', 1, 1, 'httpbin.foo:8000'],
      ],
    )
    assert.equal(
      report.groups.reduce((sum, g) => sum + g.edges, 0),
      report.summary.failing,
    )
    assert.deepEqual(report.groups[1].examples, [{ from: 'legacy/sleep', to: 'httpbin.foo.svc.cluster.local:8000' }])
    assert.deepEqual([Mesh.seed().check().groups, Mesh.seed().check().summary.mtlsBroken], [[], 0])
  })

  test('check: intended denials are counted apart from mTLS breakage', () => {
    // An ALLOW policy on httpbin.foo that admits bar/sleep only: the other callers get 403.
    const allowBarSleep = `apiVersion: security.istio.io/v1beta1
kind: AuthorizationPolicy
metadata:
  name: httpbin-from-bar-sleep
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
  action: ALLOW
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/bar/sa/sleep"]
`
    const report = load([{ builtin: 'seed' }, { name: 'authz.yaml', text: allowBarSleep }], { istioVersion: 'current' }).check()
    assert.deepEqual([report.summary.failing, report.summary.denied, report.summary.mtlsBroken], [4, 4, 0])
    assert.equal(report.failing.filter((e) => e.reason === 'rbac-denied').length, report.summary.denied)
    assert.deepEqual(
      report.groups.map((g) => [g.effect, g.change, g.reason, g.resource, g.edges, g.clientsText]),
      [
        [
          'denied',
          '403',
          'rbac-denied',
          'AuthorizationPolicy foo/httpbin-from-bar-sleep',
          4,
          'bar/httpbin, foo/httpbin, foo/sleep, legacy/sleep',
        ],
      ],
    )
  })
})

describe(`[${IMPL}] SARIF`, () => {
  test('mesh.checkSarif: SARIF 2.1.0, a result per diagnostic of check(), a rule per code', () => {
    const mesh = Mesh.seed().apply(STEP3_POLICY, { namespace: 'foo' })
    const sarif = mesh.checkSarif()
    assert.equal(sarif.version, '2.1.0')
    assert.match(sarif.$schema, /sarif-2\.1\.0/)
    assert.equal(sarif.runs.length, 1)
    const [run] = sarif.runs
    assert.equal(run.tool.driver.name, 'meshlock')
    const report = mesh.check()
    assert.deepEqual(
      run.results.map((r) => r.ruleId),
      report.diagnostics.map((d) => d.code),
    )
    const levels = { error: 'error', warning: 'warning', info: 'note' }
    assert.deepEqual(
      run.results.map((r) => r.level),
      report.diagnostics.map((d) => levels[d.severity]),
    )
    const rules = new Set(run.tool.driver.rules.map((r) => r.id))
    for (const r of run.results) assert.ok(rules.has(r.ruleId), r.ruleId)
    for (const rule of run.tool.driver.rules) {
      assert.deepEqual(Object.keys(rule).sort(), ['defaultConfiguration', 'fullDescription', 'help', 'id', 'name', 'shortDescription'])
    }
  })

  test('check(sources): an input that does not load is reported, not thrown, in SARIF too', () => {
    const sources = [{ builtin: 'seed' }, { name: 'step1-published.yaml', text: PUBLISHED_POLICY }]
    const report = meshlock.check(sources, { istioVersion: '1.1' })
    assertKeys(report, REPORT_KEYS)
    assert.ok(report.diagnostics.some((d) => d.code === 'ML105' && d.severity === 'error'))
    assert.deepEqual([report.summary.edges, report.failing, report.groups, report.exposure], [0, [], [], []])
    const result = meshlock.checkSarif(sources, { istioVersion: '1.1' }).runs[0].results.find((r) => r.ruleId === 'ML105')
    assert.equal(result.level, 'error')
    assert.deepEqual(result.locations, [
      { physicalLocation: { artifactLocation: { uri: 'step1-published.yaml' }, region: { startLine: 9, startColumn: 5 } } },
    ])
    // An input that loads: the same report as the mesh's.
    const good = [{ builtin: 'seed' }, { name: 'step3.yaml', text: STEP3_POLICY, namespace: 'foo' }]
    assert.deepEqual(meshlock.check(good), load(good).check())
    assert.deepEqual(meshlock.checkSarif(good), load(good).checkSarif())
    throwsMeshlock(() => meshlock.check([{ builtin: 'nope' }]), 'bad-request')
  })
})

describe(`[${IMPL}] migration: stages, plan, simulate, diff, ready`, () => {
  const SERVICE_KEYS = ['service', 'namespace', 'stage', 'mode', 'mtlsClients', 'plaintextClients', 'failing', 'blockers']
  const STEP_KEYS = ['name', 'description', 'apply', 'delete', 'rollback', 'rollbackDelete', 'delta', 'groups', 'stages', 'prechecks']
  const CHANGE_KEYS = ['from', 'to', 'before', 'after', 'change', 'cause']
  const HTTPBIN_FOO = 'httpbin.foo.svc.cluster.local:8000'
  const LOCK_STEPS = ['httpbin.bar.svc.cluster.local:8000', 'sleep.bar.svc.cluster.local:80', HTTPBIN_FOO, 'sleep.foo.svc.cluster.local:80']

  test('stages: per service port, per namespace and for the mesh', () => {
    const stages = Mesh.seed().stages()
    assertKeys(stages, ['services', 'namespaces', 'mesh', 'blockerGroups', 'failingGroups'])
    assert.equal(stages.mesh, 'permissive')
    assert.deepEqual(stages.namespaces, { bar: 'permissive', foo: 'permissive', legacy: 'no-sidecar' })
    const httpbin = stages.services.find((s) => s.service === HTTPBIN_FOO)
    assertKeys(httpbin, SERVICE_KEYS)
    assert.deepEqual(httpbin, {
      service: HTTPBIN_FOO,
      namespace: 'foo',
      stage: 'permissive',
      mode: 'PERMISSIVE',
      mtlsClients: 0,
      plaintextClients: 5,
      failing: [],
      blockers: ['legacy/sleep'],
    })
    assert.equal(stages.services.find((s) => s.service === 'sleep.legacy.svc.cluster.local:80').mode, null)
    // legacy/sleep (no sidecar) holds back the lock-down of every other port: one group.
    assertKeys(stages.blockerGroups[0], CLIENT_GROUP_KEYS)
    assert.deepEqual(stages.blockerGroups, [
      {
        clients: ['legacy/sleep'],
        clientsText: 'legacy/sleep',
        holds: [...LOCK_STEPS].sort(),
        holdsText: '2 ports of 2 services in bar, 2 ports of 2 services in foo',
      },
    ])
    assert.deepEqual(stages.failingGroups, [])
    const broken = Mesh.seed().apply(STEP3_POLICY, { namespace: 'foo' }).stages()
    const failing = ['bar/httpbin', 'bar/sleep', 'foo/httpbin', 'foo/sleep', 'legacy/sleep']
    assert.deepEqual(
      [broken.mesh, broken.namespaces.foo, broken.services.find((s) => s.service === HTTPBIN_FOO).failing],
      ['broken', 'broken', failing],
    )
    assert.deepEqual(
      broken.failingGroups.map((g) => [g.clients, g.holds]),
      [[failing, [HTTPBIN_FOO]]],
    )
  })

  test('plan: on the seed, legacy/sleep blocks every lock step', () => {
    const plan = Mesh.seed().plan({ goal: 'strict' })
    assertKeys(plan, ['goal', 'notes', 'steps', 'blockedEdges', 'blockers', 'heldBack', 'blockingClients', 'remedySet', 'final'])
    assert.deepEqual(plan.goal, { type: 'strict' })
    assert.deepEqual(
      plan.steps.map((s) => s.name),
      ['01-client-mtls-httpbin-bar', '02-client-mtls-sleep-bar', '03-client-mtls-httpbin-foo', '04-client-mtls-sleep-foo'],
    )
    for (const step of plan.steps) {
      assertKeys(step, STEP_KEYS)
      for (const change of step.delta) assertKeys(change, CHANGE_KEYS)
      for (const group of step.groups) assertKeys(group, EDGE_GROUP_KEYS)
      assert.equal(
        step.groups.reduce((sum, g) => sum + g.edges, 0),
        step.delta.length,
      )
      assert.deepEqual(
        step.groups.map((g) => [g.effect, g.change]),
        [['changed', 'plaintext → mtls']],
      )
    }
    assert.deepEqual([...new Set(plan.blockers.map((b) => b.client))], ['legacy/sleep'])
    assert.deepEqual(plan.blockers.map((b) => b.service).sort(), [...LOCK_STEPS].sort())
    for (const blocker of plan.blockers) {
      assertKeys(blocker, ['client', 'service', 'wouldGet', 'reason', 'step', 'remedies', 'evidence', 'evidenceText'])
      assert.deepEqual([blocker.wouldGet, blocker.reason], ['000', 'plaintext-to-strict'])
      // Nothing declares or observed these edges: the model says they are possible.
      assert.deepEqual([blocker.evidence, blocker.evidenceText], [['possible'], 'possible'])
      assert.match(blocker.step, /^lock-/)
      const kinds = blocker.remedies.map((r) => r.kind)
      for (const kind of ['inject-client', 'keep-permissive', 'allow-break']) assert.ok(kinds.includes(kind), kinds.join())
      for (const remedy of blocker.remedies) assertKeys(remedy, ['kind', 'target', 'description', 'action'])
      assert.deepEqual(
        blocker.remedies.filter((r) => r.kind !== 'keep-permissive').map((r) => [r.kind, r.target]),
        [
          ['inject-client', 'legacy'],
          ['allow-break', 'legacy/sleep'],
        ],
      )
    }
    const locks = ['lock-httpbin-bar', 'lock-httpbin-foo', 'lock-sleep-bar', 'lock-sleep-foo']
    assert.deepEqual(plan.heldBack, locks)
    assertKeys(plan.blockingClients[0], CLIENT_GROUP_KEYS)
    assert.deepEqual(
      plan.blockingClients.map((g) => [g.clients, g.holds]),
      [[['legacy/sleep'], locks]],
    )
    // One remedy releases all four lock-downs: the legacy namespace labelled for injection.
    assert.equal(plan.remedySet.length, 1)
    const [remedy] = plan.remedySet
    assertKeys(remedy, ['kind', 'target', 'description', 'action', 'edges', 'released', 'alternatives'])
    assert.deepEqual([remedy.kind, remedy.target, remedy.edges, remedy.released], ['inject-client', 'legacy', 4, 4])
    assert.match(remedy.action, /kubectl label namespace legacy istio-injection=enabled/)
    assert.equal(remedy.alternatives.length, 2)
    assertKeys(plan.final, ['edges', 'ok', 'failing', 'mtls', 'plaintext', 'namespaces', 'mesh'])
    assert.deepEqual([plan.final.failing, plan.final.mesh], [0, 'ready'])
    assert.deepEqual(Mesh.seed().plan(), plan, 'the default goal is strict')
    assert.deepEqual(Mesh.seed().plan({ goal: null, allowBreak: null, metrics: null }), plan)
  })

  test('plan: allowBreak lets the lock steps through, named 06-lock-httpbin-foo', () => {
    const plan = Mesh.seed().plan({ goal: 'strict', allowBreak: ['legacy/sleep'] })
    assert.deepEqual(plan.blockers, [])
    const lock = plan.steps.find((s) => s.name === '06-lock-httpbin-foo')
    assert.ok(lock, plan.steps.map((s) => s.name).join())
    assert.match(lock.apply[0], /mode: STRICT/)
    assert.deepEqual(
      lock.delta.map((c) => [c.from, c.to, c.change, c.after.status]),
      [['legacy/sleep', HTTPBIN_FOO, 'plaintext → fail', '000']],
    )
    assert.deepEqual(lock.stages[HTTPBIN_FOO], { before: 'ready', after: 'broken' })
    assert.deepEqual(lock.groups, [
      {
        effect: 'breaks',
        change: 'plaintext → fail',
        reason: 'plaintext-to-strict',
        resource: 'Policy foo/httpbin-mtls',
        edges: 1,
        clients: 1,
        clientsText: 'legacy/sleep',
        services: 1,
        servicesText: 'httpbin.foo:8000',
        examples: [{ from: 'legacy/sleep', to: HTTPBIN_FOO }],
      },
    ])
    assert.deepEqual([plan.heldBack, plan.blockingClients, plan.remedySet], [[], [], []])
    assert.equal(lock.rollbackDelete.length, 1)
    assert.deepEqual([plan.final.failing, plan.final.namespaces.foo], [4, 'broken'])
  })

  test('plan: goals and errors', () => {
    const mesh = Mesh.seed()
    const foo = mesh.plan({ goal: 'namespace=foo' })
    assert.deepEqual(foo.goal, { type: 'namespaces', namespaces: ['foo'] })
    assert.deepEqual(
      foo.steps.map((s) => s.name),
      ['01-client-mtls-httpbin-foo', '02-client-mtls-sleep-foo'],
    )
    assert.deepEqual(mesh.plan({ goal: 'mesh-strict' }).goal, { type: 'mesh-strict' })
    throwsMeshlock(() => mesh.plan({ goal: 'lockdown' }), 'bad-request', (err) => assert.match(err.message, /lockdown/))
    throwsMeshlock(() => mesh.plan({ gaol: 'strict' }), 'bad-request', (err) => assert.match(err.message, /gaol/))
    throwsMeshlock(() => mesh.plan({ goal: 'namespace=nope' }), 'unknown-namespace', (err) => assert.match(err.message, /nope/))
    throwsMeshlock(() => mesh.plan({ allowBreak: ['sleep'] }), 'bad-client')
  })

  test('plan: observed plaintext in metrics holds a lock-down back', () => {
    const mesh = seedAtStep2()
    const options = { goal: 'namespace=foo', allowBreak: ['legacy/sleep'] }
    assert.ok(mesh.plan(options).steps.some((s) => s.name.endsWith('lock-httpbin-foo')))
    const observed = mesh.plan({ ...options, metrics: TELEMETRY('contradiction.prom') })
    assert.ok(!observed.steps.some((s) => s.name.endsWith('lock-httpbin-foo')))
    assert.ok(observed.blockers.some((b) => b.client === 'bar/sleep' && b.wouldGet === 'observed plaintext'))
    const text = readFileSync(TELEMETRY('contradiction.prom'), 'utf8')
    assert.deepEqual(mesh.plan({ ...options, metrics: { name: 'contradiction.prom', text } }), observed)
    throwsMeshlock(() => mesh.plan({ metrics: { name: 'm.prom', text: 'istio_requests_total{' } }), 'invalid-metrics')
  })

  test('planAsync: a promise of the same plan; errors reject', async () => {
    const mesh = Mesh.seed()
    const pending = mesh.planAsync({ allowBreak: ['legacy/sleep'] })
    assert.ok(pending instanceof Promise)
    assert.deepEqual(await pending, mesh.plan({ allowBreak: ['legacy/sleep'] }))
    await assert.rejects(mesh.planAsync({ goal: 'lockdown' }), { name: 'MeshlockError', code: 'bad-request' })
    await assert.rejects(mesh.planAsync({ metrics: TELEMETRY('missing.prom') }), (err) => {
      assert.ok(err instanceof MeshlockError)
      assert.equal(err.code, 'io')
      return true
    })
  })

  test('simulate: replaying a plan gives its deltas and its final state; the mesh is unchanged', () => {
    const mesh = Mesh.seed()
    const plan = mesh.plan({ allowBreak: ['legacy/sleep'] })
    const steps = mesh.simulate(plan.steps.map((s) => ({ name: s.name, apply: s.apply, delete: s.delete })))
    assert.deepEqual(
      steps.map((s) => s.name),
      plan.steps.map((s) => s.name),
    )
    for (const step of steps) assertKeys(step, ['name', 'delta', 'stages', 'matrix'])
    assert.deepEqual(
      steps.map((s) => s.delta),
      plan.steps.map((s) => s.delta),
    )
    const last = steps.at(-1)
    assert.deepEqual([last.stages.namespaces, last.stages.mesh], [plan.final.namespaces, plan.final.mesh])
    assert.equal(last.matrix.edges.filter((e) => e.verdict === 'fail').length, plan.final.failing)
    assert.deepEqual(mesh.stages().mesh, 'permissive')
    // Shorthand: a list of sources (a string is YAML text), named `step N`; delete undoes a step.
    const [lock, undo] = mesh.simulate([
      [STEP3_POLICY.replace('metadata:', 'metadata:\n  namespace: foo')],
      { delete: [{ name: 'undo.yaml', text: STEP3_POLICY, namespace: 'foo' }] },
    ])
    assert.deepEqual([lock.name, undo.name], ['step 1', 'step 2'])
    assert.deepEqual([lock.stages.namespaces.foo, undo.stages.namespaces.foo], ['broken', 'permissive'])
    assert.ok(lock.delta.every((c) => c.change === 'plaintext → fail' && c.to === HTTPBIN_FOO))
    assert.deepEqual(undo.matrix, mesh.matrix())
    assert.deepEqual(mesh.simulate([]), [])
    throwsMeshlock(() => mesh.simulate([{ name: 'x.yaml', text: STEP3_POLICY }]), 'bad-request', (err) => assert.match(err.message, /text/))
    throwsMeshlock(() => mesh.simulate([[{ name: 'bad.yaml', text: PUBLISHED_POLICY }]]), 'invalid-input')
  })

  test('diff: a break, grouped, with its cause; DISABLE → STRICT is refused (ML402)', () => {
    const before = Mesh.seed()
    const after = before.apply(STEP3_POLICY, { namespace: 'foo' })
    const diff = meshlock.diff(before, after)
    assertKeys(diff, ['changes', 'groups', 'byCause', 'broken', 'diagnostics'])
    assert.equal(diff.broken, 5)
    assert.deepEqual(diff.groups, { 'plaintext → fail': 5 })
    assertKeys(diff.byCause[0], EDGE_GROUP_KEYS)
    assert.deepEqual(
      diff.byCause.map((g) => [g.effect, g.change, g.reason, g.resource, g.edges, g.clients, g.examples.length]),
      [['breaks', 'plaintext → fail', 'plaintext-to-strict', 'Policy foo/example-httpbin-permissive', 5, 5, 5]],
    )
    assert.deepEqual(diff.diagnostics, [])
    const legacy = diff.changes.find((c) => c.from === 'legacy/sleep')
    assertKeys(legacy, CHANGE_KEYS)
    assert.deepEqual(legacy, {
      from: 'legacy/sleep',
      to: HTTPBIN_FOO,
      before: { status: '200', curlExit: 0, transport: 'plaintext', verdict: 'ok', reason: 'plaintext' },
      after: { status: '000', curlExit: 56, transport: 'plaintext', verdict: 'fail', reason: 'plaintext-to-strict' },
      change: 'plaintext → fail',
      cause: ['Policy foo/example-httpbin-permissive'],
    })
    assert.deepEqual(meshlock.diff(after, after), { changes: [], groups: {}, byCause: [], broken: 0, diagnostics: [] })
    assert.equal(meshlock.diff(after, before).groups['fail → plaintext'], 5)

    const base = load([{ name: 'ns.yaml', text: NAMESPACE_FOO }, { name: 'app.yaml', text: APP, namespace: 'foo' }], { istioVersion: 'current' })
    const mode = (m) => STRICT_FOO.replace('STRICT', m)
    const refused = meshlock.diff(base.apply(mode('DISABLE')), base.apply(STRICT_FOO))
    assert.equal(refused.broken, 0)
    assert.deepEqual(
      refused.diagnostics.map((d) => [d.code, d.name, d.severity]),
      [['ML402', 'disable-to-strict', 'error']],
    )
    assert.deepEqual(meshlock.diff(base.apply(mode('PERMISSIVE')), base.apply(STRICT_FOO)).diagnostics, [])
  })

  test('ready: observed traffic from a file or inline text, reconciled with the model', () => {
    const mesh = seedAtStep2()
    const ready = mesh.ready(TELEMETRY('seed-step2.json'))
    assertKeys(ready, ['services', 'observed', 'disagreements', 'unobservedModelEdges'])
    const httpbin = ready.services.find((s) => s.service === 'httpbin.foo.svc.cluster.local')
    assertKeys(httpbin, ['service', 'readiness', 'stage', 'mtlsRequests', 'plaintextRequests', 'plaintextSenders'])
    assert.deepEqual(httpbin, {
      service: 'httpbin.foo.svc.cluster.local',
      readiness: 'blocked',
      stage: mesh.stages().services.find((s) => s.service === HTTPBIN_FOO).stage,
      mtlsRequests: 78,
      plaintextRequests: 35,
      plaintextSenders: [{ client: 'legacy/sleep', requests: 35, inModel: true }],
    })
    assert.equal(ready.services.find((s) => s.service === 'sleep.foo.svc.cluster.local').readiness, 'no-traffic')
    assert.deepEqual(ready.disagreements, [])
    for (const edge of ready.observed) assertKeys(edge, ['from', 'to', 'mtls', 'plaintext'])
    const text = readFileSync(TELEMETRY('seed-step2.json'), 'utf8')
    assert.deepEqual(mesh.ready({ name: 'seed-step2.json', text }), ready)

    const unknown = mesh.ready(TELEMETRY('contradiction.prom')).disagreements
    assert.ok(unknown.some((d) => d.kind === 'plaintext-where-model-says-mtls' && d.from === 'bar/sleep'), JSON.stringify(unknown))

    const malformed = TELEMETRY('malformed.prom')
    throwsMeshlock(() => mesh.ready(malformed), 'invalid-metrics', (err) => {
      assert.deepEqual(
        err.diagnostics.map((d) => [d.source, d.line]),
        [
          [malformed, 2],
          [malformed, 3],
        ],
      )
    })
    throwsMeshlock(() => mesh.ready(TELEMETRY('missing.prom')), 'io')
    throwsMeshlock(() => mesh.ready({ text }), 'bad-request')
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
    assert.deepEqual(
      t.steps.map((s) => s.base),
      [null, '0', '1', '2', '1'],
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

  test('a panic inside meshlock reaches JS as MeshlockError code internal, and the binding keeps working', () => {
    // Native: an unwind caught at the boundary; WASM (no unwinding): the aborted instance, replaced.
    const panic = native ? () => meshlock.__unwindForTests('boom') : () => meshlock.__panicForTests()
    throwsMeshlock(panic, 'internal', (err) => assert.match(err.message, /internal error in meshlock/))
    assert.equal(Mesh.seed().probe('legacy/sleep', 'httpbin.foo:8000').status, '200')
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

describe(`[${IMPL}] files, async variants, renderings and module loading`, () => {
  test('load: file paths, named by their path in diagnostics', () => {
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

  test('checkAsync: a promise of the same report', async () => {
    const mesh = Mesh.seed().apply(STEP3_POLICY, { namespace: 'foo' })
    assert.deepEqual(await mesh.checkAsync(), mesh.check())
  })

  test('loadAsync: resolves to a Mesh, rejects with MeshlockError', async () => {
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

  test('text renderings: explain, matrix table and CSV, tour', () => {
    const mesh = Mesh.seed()
    assert.match(mesh.explain('legacy/sleep', 'httpbin.foo:8000'), /200/)
    assert.match(mesh.matrixTable(), /legacy\/sleep/)
    assert.match(mesh.matrixCsv().split('\n')[0], /,/)
    assert.match(meshlock.tourText(), /Mutual TLS Migration/)
  })

  test('callJson: the JSON twin answers JSON, errors as data', () => {
    const ok = JSON.parse(
      meshlock.callJson(JSON.stringify({ op: 'probe', sources: [{ builtin: 'seed' }], from: 'legacy/sleep', to: 'httpbin.foo:8000' })),
    )
    assert.equal(ok.type, 'success')
    assert.equal(ok.curl_exit, 0)
    const bad = JSON.parse(meshlock.callJson('{"op": "probe"}'))
    assert.equal(bad.type, 'failure')
    assert.equal(bad.code, 'bad-request')
  })

  test('the ESM entry exports exactly the CommonJS names', async () => {
    const esm = await import('meshlock')
    const cjsNames = Object.keys(meshlock).filter((n) => !n.startsWith('__'))
    const esmNames = Object.keys(esm).filter((n) => n !== 'default')
    assert.deepEqual(esmNames.sort(), cjsNames.sort())
    assert.equal(esm.default, meshlock)
    assert.equal(esm.Mesh, Mesh)
    assert.equal(esm.MeshlockError, MeshlockError)
  })

  test('worker threads: each has its own MeshlockError class', async () => {
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

test(`namespaceMap and matrixBetween count the edges in a scope as matrix does (MESHLOCK_IMPL=${IMPL})`, () => {
  const mesh = Mesh.seed()
  const intents = [{ name: 'intents.csv', text: 'from,to\nfoo/sleep,httpbin.foo:8000\nbar/*,httpbin.foo:8000\n' }]
  const options = { edges: 'declared', intents }
  const declared = mesh.matrix(options).edges
  assert.equal(declared.length, 3)
  const map = mesh.namespaceMap(options)
  assert.equal(map.edges, declared.length)
  assert.equal(map.pairs.reduce((n, p) => n + p.edges, 0), declared.length)
  assert.deepEqual(
    map.pairs.map((p) => [p.from, p.to]).sort(),
    [['bar', 'foo'], ['foo', 'foo']],
  )
  const pair = mesh.matrixBetween('bar', 'foo', options)
  assert.deepEqual(
    pair.edges.map((e) => [e.from, e.evidence]),
    declared.filter((e) => e.from.startsWith('bar/')).map((e) => [e.from, e.evidence]),
  )
  assert.ok(mesh.namespaceMap().edges > map.edges)
})
