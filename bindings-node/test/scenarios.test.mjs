// Replays the shared scenario corpus (tests/scenarios/**/*.yaml, format in tests/scenarios/README.md)
// through the JS API, with exactly the checks of core/tests/scenarios.rs.
//
// The implementation comes from MESHLOCK_IMPL (see impl.mjs):
//   MESHLOCK_IMPL=native  this package on its native addon (default)
//   MESHLOCK_IMPL=wasm    this package on its WebAssembly engine (loader.cjs → wasm.cjs)
//
// Contract for every implementation: this runner uses only these names and shapes.
// - `load(sources, options)` → `Mesh`. `sources` is an array of `{ builtin: 'seed' }` and
//   `{ name, text, namespace? }` (inline YAML: the runner never passes file paths here);
//   `options` is `{ istioVersion?, autoMtls?, rootNamespace? }` (absent keys are left out).
// - a load that fails throws `MeshlockError` (`instanceof MeshlockError` and `Error`) with
//   `.code === 'invalid-input'` and `.diagnostics`.
// - `mesh.check()` → `{ diagnostics, summary, failing, groups, exposure }`: the diagnostics a scenario expects
//   of a mesh that loads are those of `check` (the input's, plus the matrix-level findings), as in
//   the Rust runner.
// - `mesh.diagnostics`: a property (not a method), an array of diagnostics (API tests only).
// - a diagnostic: `{ code: 'ML105', name, severity, message, help, source, document, path, line,
//   column }` (absent values are `null`; `source` is the source name).
// - `mesh.probe(from, to)` → `{ status: '503', curlExit: 0, transport: 'plaintext' | 'mtls' | null,
//   verdict: 'ok' | 'fail', reason: 'plaintext-to-strict', explain: [...] , ... }`; a bad probe
//   throws `MeshlockError`.
// - `mesh.stages()` → `{ services: [{ service: 'fqdn:port', stage, ... }], namespaces: { NS: stage },
//   mesh: stage }` (`expect.stages`).
// - `mesh.plan({ goal, allowBreak })` → `{ steps: [{ name, ... }], blockers: [{ client, service,
//   remedies: [{ kind, ... }], ... }], final: { mesh, failing, namespaces, ... }, ... }` (`expect.plans`).
// Mirrors the Rust runner: unknown keys in a scenario fail, `transport: null` means "must be null"
// while a missing key means "not checked", the corpus holds at least 20 files with unique names.
// Every scenario's `checkSarif(sources, options)` is also validated against the SARIF 2.1.0 JSON
// schema (draft-04, as Microsoft ships it in @microsoft/jest-sarif), what code-scanning uploads need.
// And every scenario's grouped results must account for the lists they group (check's `groups` and
// `summary.denied`/`mtlsBroken`, the stages' `blockerGroups`/`failingGroups`, a plan's step `groups`,
// `heldBack` and `blockingClients`): the groups are summaries, so they may not lose or invent an edge.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual } from 'node:util'
import { test } from 'node:test'
import Ajv from 'ajv'
import YAML from 'yaml'

import { IMPL, meshlock } from './impl.mjs'

const { load, MeshlockError } = meshlock
const ROOT = fileURLToPath(new URL('../../tests/scenarios/', import.meta.url))

function scenarioFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) return scenarioFiles(path)
      return entry.isFile() && entry.name.endsWith('.yaml') ? [path] : []
    })
    .sort()
}

// deny_unknown_fields, as the Rust structs do.
function keys(where, value, allowed, required = []) {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${where}: expected a mapping`)
  for (const key of Object.keys(value)) {
    assert.ok(allowed.includes(key), `${where}: unknown field \`${key}\`, expected one of ${allowed.join(', ')}`)
  }
  for (const key of required) {
    assert.ok(key in value, `${where}: missing field \`${key}\``)
  }
  return value
}

function parse(file) {
  const scenario = keys(file, YAML.parse(readFileSync(file, 'utf8')), ['name', 'description', 'rule', 'settings', 'sources', 'metrics', 'expect'], [
    'name',
    'description',
    'rule',
    'sources',
    'expect',
  ])
  keys(`${file}: settings`, scenario.settings ?? {}, ['istio_version', 'auto_mtls', 'root_namespace'])
  assert.ok(Array.isArray(scenario.sources), `${file}: sources must be a list`)
  scenario.sources.forEach((s, i) => keys(`${file}: sources[${i}]`, s, ['builtin', 'name', 'namespace', 'yaml', 'csv']))
  const expect = keys(`${file}: expect`, scenario.expect, [
    'load',
    'diagnostics',
    'absent_diagnostics',
    'probes',
    'stages',
    'plans',
    'scope',
    'evidence',
  ])
  keys(`${file}: expect.scope`, expect.scope ?? {}, ['edges', 'in_scope', 'failing', 'declared_failing', 'undeclared_plaintext'])
  ;(expect.evidence ?? []).forEach((e, i) => keys(`${file}: expect.evidence[${i}]`, e, ['from', 'to', 'evidence'], ['from', 'to', 'evidence']))
  for (const [what, stage] of Object.entries(keys(`${file}: expect.stages`, expect.stages ?? {}, Object.keys(expect.stages ?? {})))) {
    assert.equal(typeof stage, 'string', `${file}: expect.stages.${what} must be a string`)
  }
  const strings = (where, value) =>
    assert.ok(Array.isArray(value) && value.every((v) => typeof v === 'string'), `${where}: expected a list of strings`)
  ;(expect.plans ?? []).forEach((p, i) => {
    const where = `${file}: expect.plans[${i}]`
    keys(where, p, ['goal', 'allow_break', 'edges', 'steps', 'blockers', 'remedies', 'after'], ['goal', 'steps'])
    assert.equal(typeof p.goal, 'string', `${where}.goal must be a string`)
    strings(`${where}.steps`, p.steps)
    strings(`${where}.allow_break`, p.allow_break ?? [])
    strings(`${where}.remedies`, p.remedies ?? [])
    keys(`${where}.after`, p.after ?? {}, Object.keys(p.after ?? {}))
    ;(p.blockers ?? []).forEach((b, j) => keys(`${where}.blockers[${j}]`, b, ['client', 'service', 'evidence'], ['client', 'service']))
  })
  ;(expect.diagnostics ?? []).forEach((d, i) =>
    keys(`${file}: expect.diagnostics[${i}]`, d, ['code', 'source', 'document', 'line', 'column', 'path'], ['code']),
  )
  ;(expect.probes ?? []).forEach((p, i) =>
    keys(`${file}: expect.probes[${i}]`, p, ['from', 'to', 'status', 'curl_exit', 'transport', 'verdict', 'reason'], ['from', 'to']),
  )
  return scenario
}

function sources(scenario) {
  return scenario.sources.map((s) => {
    if (s.builtin === 'seed' && s.yaml == null && s.csv == null) return { builtin: 'seed' }
    const text = s.yaml ?? s.csv
    if (s.builtin == null && typeof text === 'string' && (s.yaml == null || s.csv == null)) {
      return { name: s.name ?? 'input.yaml', text, ...(s.namespace != null && { namespace: s.namespace }) }
    }
    throw new Error(`${scenario.name}: bad source ${JSON.stringify(s)}`)
  })
}

function options(settings = {}) {
  const out = {}
  if (settings.istio_version != null) out.istioVersion = String(settings.istio_version)
  if (settings.auto_mtls != null) out.autoMtls = settings.auto_mtls
  if (settings.root_namespace != null) out.rootNamespace = settings.root_namespace
  return out
}

const unchecked = (want) => want === undefined || want === null
const camel = (key) => key.replace(/(?<=.)_(.)/g, (_, c) => c.toUpperCase())
const json = (value) => JSON.stringify(value ?? null)
/** The order of the Rust runner's `ExpectBlocker` (derived `Ord`: client, then service). */
const byClientThenService = (a, b) =>
  a.client < b.client ? -1 : a.client > b.client ? 1 : a.service < b.service ? -1 : a.service > b.service ? 1 : 0
const show = (d) => `${d.source}:${d.line}:${d.column}: ${d.severity}[${d.code} ${d.name}]: ${d.message}`

/** Checks one scenario; returns the mismatches (core/tests/scenarios.rs `run`). */
function run(scenario) {
  const failures = []
  const expect = scenario.expect
  let mesh = null
  let diagnostics
  try {
    mesh = load(sources(scenario), options(scenario.settings))
    // Loading diagnostics, plus what `check` finds on a mesh that loads.
    diagnostics = mesh.check().diagnostics
  } catch (err) {
    if (!(err instanceof MeshlockError) || err.code !== 'invalid-input') {
      return [`load threw ${err instanceof MeshlockError ? `MeshlockError ${err.code}` : err}: ${err.message}`]
    }
    diagnostics = err.diagnostics
  }
  const loaded = mesh ? 'ok' : 'error'
  const wantLoad = expect.load ?? 'ok'
  if (loaded !== wantLoad) {
    failures.push(`load: want ${wantLoad}, got ${loaded}:\n${diagnostics.map(show).join('\n')}`)
  }
  for (const want of expect.diagnostics ?? []) {
    const found = diagnostics.some(
      (d) =>
        d.code === want.code &&
        (unchecked(want.source) || want.source === d.source) &&
        (unchecked(want.document) || want.document === d.document) &&
        (unchecked(want.line) || want.line === d.line) &&
        (unchecked(want.column) || want.column === d.column) &&
        (unchecked(want.path) || want.path === d.path),
    )
    if (!found) failures.push(`diagnostic ${JSON.stringify(want)} not reported; got:\n${diagnostics.map(show).join('\n')}`)
  }
  for (const code of expect.absent_diagnostics ?? []) {
    const d = diagnostics.find((d) => d.code === code)
    if (d) failures.push(`diagnostic ${code} must be absent, got ${show(d)}`)
  }
  if (!mesh) return failures
  for (const want of expect.probes ?? []) {
    let got
    try {
      got = mesh.probe(want.from, want.to)
    } catch (err) {
      failures.push(`probe ${want.from} -> ${want.to}: ${err.code ?? ''} ${err.message}`)
      continue
    }
    const mismatches = []
    if (!unchecked(want.status) && want.status !== got.status) mismatches.push(`status want ${want.status} got ${got.status}`)
    if (!unchecked(want.curl_exit) && want.curl_exit !== got.curlExit) mismatches.push(`curl_exit want ${want.curl_exit} got ${got.curlExit}`)
    if ('transport' in want && want.transport !== got.transport) mismatches.push(`transport want ${want.transport} got ${got.transport}`)
    if (!unchecked(want.verdict) && want.verdict !== got.verdict) mismatches.push(`verdict want ${want.verdict} got ${got.verdict}`)
    if (!unchecked(want.reason) && want.reason !== got.reason) mismatches.push(`reason want ${want.reason} got ${got.reason}`)
    if (mismatches.length) {
      const chain = got.explain.map((s) => `  [${s.side}] ${s.resource ? `${s.resource}: ` : ''}${s.text}`).join('\n')
      failures.push(`probe ${want.from} -> ${want.to}: ${mismatches.join('; ')}\n${chain}`)
    }
  }
  failures.push(...migration(mesh, expect, metrics(scenario)))
  failures.push(...evidence(mesh, expect, metrics(scenario)))
  return failures
}

/** The scenario's observed traffic (a file of tests/telemetry/), as `{ name, text }`, or null. */
function metrics(scenario) {
  if (scenario.metrics == null) return null
  return { name: scenario.metrics, text: readFileSync(new URL(`../../tests/telemetry/${scenario.metrics}`, import.meta.url), 'utf8') }
}

/** The `scope` and `evidence` expectations (core/tests/scenarios.rs, after the plans). */
function evidence(mesh, expect, observed) {
  const failures = []
  if (expect.scope) {
    const want = expect.scope
    const got = mesh.check({ edges: want.edges ?? 'all', metrics: observed }).scope
    if (!got) return ['check: no scope report']
    for (const key of ['in_scope', 'failing']) {
      if (want[key] !== undefined && want[key] !== got[camel(key)]) failures.push(`scope ${key}: want ${want[key]}, got ${got[camel(key)]}`)
    }
    if (want.declared_failing) {
      const pairs = (list) => list.map((f) => `${f.from} → ${f.to}`).sort()
      if (!isDeepStrictEqual(pairs(got.declaredFailing), pairs(want.declared_failing))) {
        failures.push(`scope declared_failing: want ${json(pairs(want.declared_failing))}, got ${json(pairs(got.declaredFailing))}`)
      }
    }
    if (want.undeclared_plaintext) {
      const gotMap = Object.fromEntries(got.undeclaredPlaintext.map((x) => [x.service, [...x.callers].sort()]))
      const wantMap = Object.fromEntries(Object.entries(want.undeclared_plaintext).map(([k, v]) => [k, [...v].sort()]))
      if (!isDeepStrictEqual(gotMap, wantMap)) failures.push(`scope undeclared_plaintext: want ${json(wantMap)}, got ${json(gotMap)}`)
    }
  }
  if ((expect.evidence ?? []).length > 0) {
    const edges = mesh.matrix({ edges: 'all', metrics: observed }).edges
    for (const want of expect.evidence) {
      const edge = edges.find((e) => e.from === want.from && e.to === want.to)
      const got = [...(edge?.evidence ?? [])].sort()
      if (!isDeepStrictEqual(got, [...want.evidence].sort())) {
        failures.push(`evidence of ${want.from} → ${want.to}: want ${json([...want.evidence].sort())}, got ${json(got)}`)
      }
    }
  }
  return failures
}

/** The stage and plan expectations of a mesh that loads (core/tests/scenarios.rs, after the probes). */
function migration(mesh, expect, observed = null) {
  const failures = []
  const wanted = Object.entries(expect.stages ?? {})
  if (wanted.length > 0) {
    let stages = null
    try {
      stages = mesh.stages()
    } catch (err) {
      failures.push(`stages: ${err.code ?? ''} ${err.message}`)
    }
    for (const [what, want] of stages ? wanted : []) {
      let got
      if (what === 'mesh') got = stages.mesh
      else if (what.startsWith('namespace/')) got = stages.namespaces[what.slice('namespace/'.length)]
      else got = stages.services.find((s) => s.service === what)?.stage
      if (got !== want) failures.push(`stage of ${what}: want ${want}, got ${json(got)}`)
    }
  }
  for (const want of expect.plans ?? []) {
    let plan
    try {
      plan = mesh.plan({ goal: want.goal, allowBreak: want.allow_break ?? [], edges: want.edges ?? null, metrics: observed })
    } catch (err) {
      failures.push(`plan ${want.goal}: ${err.code ?? ''} ${err.message}`)
      continue
    }
    const steps = plan.steps.map((s) => s.name)
    if (!isDeepStrictEqual(steps, want.steps)) {
      failures.push(`plan ${want.goal} steps: want ${json(want.steps)}, got ${json(steps)}`)
    }
    // The exact set of (client, service) pairs held back: sorted and deduplicated, against the sorted want.
    const blockers = plan.blockers
      .map((b) => ({ client: b.client, service: b.service }))
      .sort(byClientThenService)
      .filter((b, i, all) => i === 0 || byClientThenService(all[i - 1], b) !== 0)
    const wantedBlockers = (want.blockers ?? []).map((b) => ({ client: b.client, service: b.service })).sort(byClientThenService)
    for (const w of (want.blockers ?? []).filter((b) => b.evidence !== undefined)) {
      if (!plan.blockers.some((b) => b.client === w.client && b.service === w.service && b.evidence[0] === w.evidence)) {
        failures.push(`plan ${want.goal}: no blocker ${json(w)}`)
      }
    }
    if (!isDeepStrictEqual(blockers, wantedBlockers)) {
      failures.push(`plan ${want.goal} blockers: want ${json(wantedBlockers)}, got ${json(blockers)}`)
    }
    for (const b of plan.blockers) {
      const kinds = b.remedies.map((r) => r.kind)
      for (const kind of want.remedies ?? []) {
        if (!kinds.includes(kind)) {
          failures.push(`plan ${want.goal}: blocker ${b.client} → ${b.service} lacks remedy ${kind} (has ${json(kinds)})`)
        }
      }
    }
    // A subset of the final summary; the scenario writes the core's field names (snake_case).
    for (const [key, value] of Object.entries(want.after ?? {})) {
      const got = plan.final[camel(key)] ?? null
      if (!isDeepStrictEqual(got, value)) failures.push(`plan ${want.goal} after: ${key} want ${json(value)}, got ${json(got)}`)
    }
  }
  return failures
}

const files = scenarioFiles(ROOT)

/** The SARIF 2.1.0 schema validator (ajv 6 reads draft-04, the schema's dialect). */
function sarifValidator() {
  const require = createRequire(import.meta.url)
  const ajv = new Ajv({ schemaId: 'id', meta: false, allErrors: true })
  ajv.addMetaSchema(require('ajv/lib/refs/json-schema-draft-04.json'))
  return ajv.compile(require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'))
}

test(`[${IMPL}] the scenario corpus is there, parses, and has unique names`, () => {
  assert.ok(files.length >= 20, `expected the scenario corpus, found ${files.length} files in ${ROOT}`)
  const names = new Set()
  for (const file of files) {
    const { name } = parse(file)
    assert.ok(!names.has(name), `duplicate scenario name ${name}`)
    names.add(name)
  }
})

for (const file of files) {
  const label = relative(ROOT, file)
  test(`[${IMPL}] scenario ${label}`, () => {
    const scenario = parse(file)
    const failures = run(scenario)
    assert.ok(failures.length === 0, `${scenario.name} (${label}): ${failures.length} failure(s):\n\n${failures.join('\n\n')}`)
  })
}

test(`[${IMPL}] every scenario's SARIF is valid against the SARIF 2.1.0 schema`, () => {
  const valid = sarifValidator()
  const failures = []
  let results = 0
  for (const file of files) {
    const scenario = parse(file)
    const sarif = meshlock.checkSarif(sources(scenario), options(scenario.settings))
    results += sarif.runs[0]?.results.length ?? 0
    if (!valid(sarif)) failures.push(`${relative(ROOT, file)}: ${JSON.stringify(valid.errors, null, 1)}`)
  }
  assert.ok(results > files.length, `expected findings to validate, got ${results} results in ${files.length} logs`)
  assert.deepEqual(failures, [])
})

const sum = (groups) => groups.reduce((total, g) => total + g.edges, 0)
/** `client → what it holds` pairs of client groups, sorted, to compare with the ungrouped lists. */
const pairs = (groups) => groups.flatMap((g) => g.clients.flatMap((c) => g.holds.map((h) => `${c} → ${h}`))).sort()

test(`[${IMPL}] every scenario's grouped results add up to the lists they group`, () => {
  for (const file of files) {
    const scenario = parse(file)
    const label = relative(ROOT, file)
    let mesh
    try {
      mesh = load(sources(scenario), options(scenario.settings))
    } catch (err) {
      if (err instanceof MeshlockError && err.code === 'invalid-input') continue
      throw err
    }
    const { summary, failing, groups } = mesh.check()
    assert.equal(sum(groups), summary.failing, label)
    assert.equal(failing.length, summary.failing, label)
    assert.equal(summary.denied, failing.filter((e) => e.reason === 'rbac-denied').length, label)
    assert.equal(sum(groups.filter((g) => g.effect === 'denied')), summary.denied, label)
    assert.equal(sum(groups.filter((g) => g.effect === 'mtls-broken')), summary.mtlsBroken, label)
    const stages = mesh.stages()
    for (const [grouped, list] of [
      [stages.blockerGroups, 'blockers'],
      [stages.failingGroups, 'failing'],
    ]) {
      const ungrouped = stages.services.flatMap((s) => s[list].map((c) => `${c} → ${s.service}`)).sort()
      assert.deepEqual(pairs(grouped), ungrouped, `${label}: stages.${list}`)
      const clients = grouped.flatMap((g) => g.clients)
      assert.equal(new Set(clients).size, clients.length, `${label}: a client in two groups`)
    }
    for (const want of scenario.expect.plans ?? []) {
      const plan = mesh.plan({ goal: want.goal, allowBreak: want.allow_break ?? [] })
      for (const step of plan.steps) assert.equal(sum(step.groups), step.delta.length, `${label}: ${step.name}`)
      assert.deepEqual([...plan.heldBack].sort(), [...new Set(plan.blockers.map((b) => b.step))].sort(), label)
      const blocked = [...new Set(plan.blockers.map((b) => `${b.client} → ${b.step}`))].sort()
      assert.deepEqual(pairs(plan.blockingClients), blocked, label)
    }
  }
})
