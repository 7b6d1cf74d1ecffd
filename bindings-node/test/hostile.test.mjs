// The hostile corpus (tests/hostile/) through the implementation chosen by MESHLOCK_IMPL (impl.mjs):
// the native addon (scripts/test-node) or the WASM engine behind the same API (scripts/test-wasm),
// with the expectations of tests/hostile/expect.txt, read in place (the one table every surface
// replays). The big inputs are written by scripts/hostile-gen when tests/hostile/generated is
// missing, as the core's test does.
//
// Each case is a file path, read as `load(paths)` and `check(paths)` read it (its bytes decoded as
// the CLI decodes a file argument). The contract for input that does not load: `load` throws a
// `MeshlockError` with code `invalid-input` whose first error diagnostic is the case's code at its
// line; `check` never throws for it and returns that first error among its diagnostics, as data.
// An `ok` case loads without an error diagnostic.
//
// Each case (load and check) is timed against a generous bound (a guard against hangs and
// quadratic blow-ups, not a benchmark); the time and the process's peak RSS after each case are
// reported (`t.diagnostic`).
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'

import { IMPL, meshlock } from './impl.mjs'

const { MeshlockError, check, checkSarif, load } = meshlock

const HOSTILE = fileURLToPath(new URL('../../tests/hostile/', import.meta.url))
const GENERATE = fileURLToPath(new URL('../../scripts/hostile-gen', import.meta.url))
/** Per case, load and check together: generous (WASM, a shared machine). */
const BOUND_MS = 30_000

/** `[{ file, outcome, line }]`: `outcome` is `ok` or the first error's code, `line` null for `ok`. */
function cases() {
  return readFileSync(`${HOSTILE}expect.txt`, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => {
      const [file, outcome, line] = l.trim().split(/\s+/)
      return { file, outcome, line: line === '-' ? null : Number(line) }
    })
}

/** Writes tests/hostile/generated when missing; the reason when it could not (null: done). */
function generated() {
  if (existsSync(`${HOSTILE}generated`)) return null
  try {
    execFileSync(GENERATE, { stdio: 'inherit', timeout: 600_000 })
    return null
  } catch (err) {
    return `${GENERATE} failed: ${err.message}`
  }
}

/** `[code, line]` of the first error diagnostic, or `['ok', null]`. */
function firstError(diagnostics) {
  const d = diagnostics.find((d) => d.severity === 'error')
  return d ? [d.code, d.line] : ['ok', null]
}

/** The failures of one case, loaded and checked. */
function run(path, { outcome, line }) {
  const want = [outcome, line]
  const failures = []
  let loaded
  try {
    loaded = firstError(load([path]).diagnostics)
  } catch (err) {
    if (!(err instanceof MeshlockError)) throw err
    if (err.code !== 'invalid-input') failures.push(`load threw code ${err.code}, not invalid-input: ${err.message}`)
    loaded = firstError(err.diagnostics)
    const first = err.diagnostics.find((d) => d.severity === 'error')
    if (first && (first.source !== path || first.column === null)) {
      failures.push(`load: error without a full location: ${JSON.stringify(first)}`)
    }
  }
  if (JSON.stringify(loaded) !== JSON.stringify(want)) failures.push(`load: want ${want}, got ${loaded}`)
  // check: the errors are data, never thrown.
  const report = check([path])
  if (outcome === 'ok') {
    const input = report.diagnostics.find((d) => d.severity === 'error' && d.code.startsWith('ML1'))
    if (input) failures.push(`check: an ok case has an input error: ${JSON.stringify(input)}`)
  } else {
    const checked = firstError(report.diagnostics)
    if (JSON.stringify(checked) !== JSON.stringify(want)) failures.push(`check: want ${want}, got ${checked}`)
  }
  return failures
}

test(`the hostile corpus gives the expected codes in bounded time (MESHLOCK_IMPL=${IMPL})`, (t) => {
  const skipped = generated()
  const failures = []
  const rows = []
  for (const c of cases()) {
    if (c.file.startsWith('generated/') && skipped !== null) continue
    const path = `${HOSTILE}${c.file}`
    const started = performance.now()
    try {
      failures.push(...run(path, c).map((f) => `${c.file}: ${f}`))
    } catch (err) {
      failures.push(`${c.file}: threw ${err && err.name}: ${err && err.message}`)
    }
    const took = performance.now() - started
    const rss = process.resourceUsage().maxRSS / 1024
    rows.push(`${took.toFixed(1).padStart(9)} ms  peak RSS ${rss.toFixed(1).padStart(7)} MiB  ${c.outcome.padEnd(6)} ${c.file}`)
    if (took > BOUND_MS) failures.push(`${c.file}: took ${took.toFixed(0)} ms, more than ${BOUND_MS} ms`)
  }
  t.diagnostic(`hostile corpus through ${IMPL} (load + check per case):`)
  for (const row of rows) t.diagnostic(row)
  if (skipped !== null) t.diagnostic(`SKIPPED: the generated hostile inputs: ${skipped}`)
  assert.deepEqual(failures, [])
})

test(`a file over the bindings' input limit (256 MiB) is refused before it is read (MESHLOCK_IMPL=${IMPL})`, () => {
  // A sparse file one byte over 256 MiB (the CLI's limit is 1 GiB): nothing is written or read.
  const dir = mkdtempSync(join(tmpdir(), 'meshlock-hostile-'))
  try {
    const path = join(dir, 'huge.yaml')
    writeFileSync(path, '')
    truncateSync(path, 256 * 1024 * 1024 + 1)
    const before = process.resourceUsage().maxRSS
    assert.throws(
      () => load([path]),
      (err) => {
        assert.ok(err instanceof MeshlockError)
        assert.equal(err.code, 'invalid-input')
        const [first] = err.diagnostics
        assert.deepEqual([first.code, first.source], ['ML106', path])
        assert.match(first.message, /268435456.*max_input_bytes/)
        return true
      },
    )
    assert.deepEqual(
      check([path]).diagnostics.map((d) => d.code),
      ['ML106'],
    )
    assert.deepEqual(
      checkSarif([path]).runs[0].results.map((r) => r.ruleId),
      ['ML106'],
    )
    assert.ok(process.resourceUsage().maxRSS - before < 64 * 1024, 'the file was read')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test(`listed edges are limited, counts are not (MESHLOCK_IMPL=${IMPL})`, () => {
  // The seed has 25 edges, all plaintext: `check` would list each as a plaintext caller.
  const seed = [{ builtin: 'seed' }]
  const mesh = load(seed, { limits: { maxListedEdges: 24 } })
  const report = mesh.check()
  const limit = report.diagnostics.filter((d) => d.code === 'ML106')
  assert.equal(limit.length, 1)
  assert.match(limit[0].message, /max_listed_edges/)
  assert.match(limit[0].help, /countsOnly: true/)
  assert.equal(report.summary.edges, 25)
  assert.deepEqual(report.failing, [])
  assert.ok(report.exposure.every((e) => e.plaintextCallers.length === 0 && e.plaintextClients === 5))
  const countsOnly = mesh.check({ countsOnly: true })
  assert.ok(!countsOnly.diagnostics.some((d) => d.code === 'ML106'))
  assert.deepEqual(countsOnly.summary, report.summary)
  assert.throws(
    () => mesh.matrix(),
    (err) => err instanceof MeshlockError && err.code === 'invalid-input' && err.diagnostics[0].code === 'ML106',
  )
  const plan = mesh.plan()
  assert.equal(plan.blockedEdges, 4)
  assert.deepEqual(plan.blockers, [])
  assert.ok(plan.notes.some((n) => n.includes('max_listed_edges')))
  const within = load(seed, { limits: { maxListedEdges: 25 } })
  assert.equal(within.matrix().edges.length, 25)
  assert.equal(within.plan().blockers.length, 4)
  assert.equal(check(seed, { countsOnly: true, limits: { maxListedEdges: 1 } }).failing.length, 0)
})

test(`a directory is its manifests in name order, as the CLI reads -f DIR (MESHLOCK_IMPL=${IMPL})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshlock-dir-'))
  try {
    const seed = readFileSync(fileURLToPath(new URL('../../core/seed/cluster.yaml', import.meta.url)))
    writeFileSync(join(dir, 'a.yaml'), seed)
    writeFileSync(join(dir, 'notes.txt'), '\u0000 not a manifest: never read')
    writeFileSync(join(dir, 'z.json'), '{"apiVersion": "v1", "kind": ')
    assert.throws(
      () => load([dir]),
      (err) => err instanceof MeshlockError && err.code === 'invalid-input' && err.diagnostics[0].source === join(dir, 'z.json'),
    )
    rmSync(join(dir, 'z.json'))
    assert.equal(load([dir], { limits: { maxListedEdges: 25 } }).matrix().edges.length, 25)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
