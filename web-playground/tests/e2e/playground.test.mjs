// End-to-end: the built playground (dist/) in real headless Chromium (Debian `chromium`, driven by
// playwright-core; no browser download), served from 127.0.0.1. Screenshots and the measured time to
// first view on a realistic 10,000-pod dump (../shared/tools/gen_cluster.py, generated once into
// tests/e2e/.cache/) go to tests/e2e/artifacts/ (gitignored).
//
//   npm run build && node --test --test-concurrency=1 tests/e2e/
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import YAML from 'yaml'
import { serve } from './server.mjs'

const HERE = fileURLToPath(new URL('.', import.meta.url))
const DIST = join(HERE, '..', '..', 'dist')
const ARTIFACTS = join(HERE, 'artifacts')
const REPO = join(HERE, '..', '..', '..')
/** Realistic dumps, generated once by ../shared/tools/gen_cluster.py into a gitignored cache. */
const CACHE = join(HERE, '.cache')
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
const TIMEOUT = 60_000

const LEGACY = 'legacy/sleep'
const FOO_SLEEP = 'foo/sleep'
const HTTPBIN_FOO = 'httpbin.foo.svc.cluster.local:8000'
const HTTPBIN_BAR = 'httpbin.bar.svc.cluster.local:8000'
// The engine through Node (the same WASM build), for what the page must show.
const engine = createRequire(import.meta.url)('../../../bindings-node/wasm.cjs')

/** The guide's table, step by step: status of each client calling httpbin.foo (core's tour rows). */
const GUIDE = {
  0: { 'foo/sleep': '200', 'bar/sleep': '200', 'legacy/sleep': '200' },
  1: { 'foo/sleep': '200', 'bar/sleep': '200', 'legacy/sleep': '200' },
  2: { 'foo/sleep': '200', 'bar/sleep': '200', 'legacy/sleep': '200' },
  3: { 'foo/sleep': '200', 'bar/sleep': '200', 'legacy/sleep': '000' },
  "3'": { 'foo/sleep': '503', 'bar/sleep': '503', 'legacy/sleep': '000' },
}

/** `python3 ../shared/tools/gen_cluster.py --pods N --seed 42` (run from the repository root), once. */
function realisticDump(pods = 10_000) {
  const dump = join(CACHE, `pods-${pods % 1000 === 0 ? `${pods / 1000}k` : pods}-seed42.yaml`)
  let generateMs = 0
  if (!existsSync(dump)) {
    mkdirSync(CACHE, { recursive: true })
    const started = Date.now()
    const partial = `${dump}.partial`
    execFileSync('python3', ['../shared/tools/gen_cluster.py', '--pods', String(pods), '--seed', '42', '-o', relative(REPO, partial)], { cwd: REPO, stdio: 'inherit' })
    renameSync(partial, dump)
    generateMs = Date.now() - started
  }
  return { path: dump, relative: relative(REPO, dump), bytes: statSync(dump).size, generateMs }
}

let server
let context
let profile
const problems = []

function watch(page) {
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`))
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console.error: ${msg.text()}`)
  })
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`))
  return page
}

async function newPage() {
  const page = watch(await context.newPage())
  page.setDefaultTimeout(TIMEOUT)
  return page
}

async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false })
}

/** Waits until the page finished the analysis it has scheduled. */
async function settled(page, after = 0) {
  await page.waitForFunction((n) => !document.body.dataset.busy && Number(document.body.dataset.revision ?? 0) > n, after, { timeout: TIMEOUT })
}

const revision = (page) => page.evaluate(() => Number(document.body.dataset.revision ?? 0))

/** Checks exactly `kinds` (in the engine's order) in the evidence filter and waits for the engine's answer. */
async function evidenceFilter(page, kinds) {
  // Check the wanted kinds first: the filter keeps at least one kind checked.
  const boxes = await page.locator('#filter-evidence input[type=checkbox]').all()
  for (const box of boxes) if (kinds.includes(await box.getAttribute('value'))) await box.setChecked(true)
  for (const box of boxes) if (!kinds.includes(await box.getAttribute('value'))) await box.setChecked(false)
  await page.waitForSelector(`body[data-scoped="${kinds.length === 4 ? 'all' : kinds.join(',')}"]`, { timeout: 120_000 })
}
const cell = (page, from, to) => page.locator(`.cell[data-from="${from}"][data-to="${to}"]`)

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), `${DIST} missing: run \`npm run build\` first`)
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium`)
  mkdirSync(ARTIFACTS, { recursive: true })
  server = await serve(DIST)
  profile = mkdtempSync(join(tmpdir(), 'meshlock-chromium-'))
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
})

after(async () => {
  await context?.close()
  await server?.close()
  if (profile) rmSync(profile, { recursive: true, force: true })
})

describe('playground in Chromium', () => {
  let shareUrl = ''

  test('opens on the seed example and shows the guide’s table at every tour step', async () => {
    const page = await newPage()
    await page.goto(server.url)
    await page.waitForSelector('body[data-ready="1"]')
    await settled(page)
    assert.equal(await page.locator('#examples').inputValue(), 'seed/step-0-baseline')
    assert.equal(await cell(page, LEGACY, HTTPBIN_FOO).getAttribute('data-status'), '200')
    assert.equal(await page.locator('.cell').count(), 25, 'seed: 5 clients × 5 service ports')
    await shot(page, '01-seed')

    await page.click('#tour-open')
    // The tour comes from the worker: wait for its last step before reading the list.
    await page.waitForSelector(`.tour-nav button[data-step="3'"]`)
    const steps = await page.locator('.tour-nav button[data-step]').evaluateAll((bs) => bs.map((b) => b.dataset.step))
    assert.deepEqual(steps, ['0', '1', '2', '3', "3'"])
    for (const step of steps) {
      const before = await revision(page)
      await page.click(`.tour-nav button[data-step="${step}"]`)
      await page.waitForSelector(`#tour[data-step="${step}"]`)
      if (step !== '0') await settled(page, before)
      for (const [client, status] of Object.entries(GUIDE[step])) {
        // The guide's table (core's tour rows) and the matrix cell agree.
        assert.equal(await page.locator(`.guide-table tr[data-from="${client}"]`).getAttribute('data-status'), status, `step ${step}: table row ${client}`)
        assert.equal(await cell(page, client, HTTPBIN_FOO).getAttribute('data-status'), status, `step ${step}: cell ${client} → httpbin.foo`)
      }
      await shot(page, `02-tour-step-${step.replace("'", 'prime')}`)
    }
    // Step 2 onwards: the sidecar clients' calls to httpbin.foo are mutual TLS (a closed lock).
    await page.click('.tour-nav button[data-step="3"]')
    await page.waitForSelector('#tour[data-step="3"]')
    await settled(page)
    assert.equal(await cell(page, FOO_SLEEP, HTTPBIN_FOO).getAttribute('data-transport'), 'mtls')
    assert.equal(await cell(page, LEGACY, HTTPBIN_FOO).getAttribute('data-transport'), 'plaintext')
    assert.equal(await cell(page, LEGACY, HTTPBIN_FOO).getAttribute('data-verdict'), 'fail')
    assert.deepEqual(problems, [])
    await page.close()
  })

  test('clicking a cell explains it; the state survives a share link in a fresh page', async () => {
    const page = await newPage()
    await page.goto(server.url)
    await settled(page)
    await page.click('#tour-open')
    await page.click('.tour-nav button[data-step="3"]')
    await page.waitForSelector('#tour[data-step="3"]')
    await settled(page)
    await cell(page, LEGACY, HTTPBIN_FOO).click()
    await page.waitForSelector(`#explain:not([hidden])[data-from="${LEGACY}"][data-to="${HTTPBIN_FOO}"]`)
    const explain = page.locator('#explain')
    assert.equal(await explain.getAttribute('data-status'), '000')
    assert.equal(await explain.getAttribute('data-reason'), 'plaintext-to-strict')
    const sides = await explain.locator('.chain .step .side').allTextContents()
    assert.ok(sides.includes('client') && sides.includes('server') && sides.at(-1) === 'result', sides.join(','))
    const chain = (await explain.locator('.chain').textContent()) ?? ''
    assert.match(chain, /STRICT/, chain)
    assert.match(chain, /sidecar/, chain)
    assert.match((await explain.locator('.explain-facts').textContent()) ?? '', /curl exit 56/)
    await shot(page, '03-explain')

    await page.click('#share')
    await page.waitForSelector('#share-box:not([hidden])')
    shareUrl = await page.locator('#share-url').inputValue()
    assert.match(shareUrl, /#s=[A-Za-z0-9_-]+$/)
    const original = await page.evaluate(() => window.meshlockPlayground.state())
    await page.close()

    // A fresh page (no shared JS state) from the link alone.
    const fresh = await newPage()
    await fresh.goto(shareUrl)
    await fresh.waitForSelector('body[data-ready="1"]')
    await settled(fresh)
    await fresh.waitForSelector('#tour[data-step="3"]')
    const restored = await fresh.evaluate(() => window.meshlockPlayground.state())
    assert.deepEqual(restored.sources, original.sources)
    assert.deepEqual(restored.settings, original.settings)
    assert.deepEqual(restored.view.selected, { from: LEGACY, to: HTTPBIN_FOO })
    assert.equal(await cell(fresh, LEGACY, HTTPBIN_FOO).getAttribute('data-status'), '000')
    assert.match((await cell(fresh, LEGACY, HTTPBIN_FOO).getAttribute('class')) ?? '', /selected/)
    await fresh.waitForSelector(`#explain:not([hidden])[data-from="${LEGACY}"][data-reason="plaintext-to-strict"]`)
    await shot(fresh, '04-shared-link')
    assert.deepEqual(problems, [])
    await fresh.close()
  })

  test('a YAML error becomes a marker at its line and column', async () => {
    const page = await newPage()
    await page.goto(server.url)
    await settled(page)
    // A new tab, then the guide's step-1 Policy as published: `peers:` one level too deep.
    await page.click('.tab-add')
    await page.click('.cm-content')
    const before = await revision(page)
    await page.keyboard.insertText(
      [
        'apiVersion: "authentication.istio.io/v1alpha1"',
        'kind: "Policy"',
        'metadata:',
        '  name: "example-httpbin-permissive"',
        '  namespace: foo',
        'spec:',
        '  targets:',
        '  - name: httpbin',
        '    peers:',
        '  - mtls:',
        '      mode: PERMISSIVE',
        '',
      ].join('\n'),
    )
    await settled(page, before)
    await page.waitForSelector('.cm-lint-marker-error')
    assert.equal(await page.locator('#status').getAttribute('data-kind'), 'error')
    const diag = page.locator('#diagnostics .diag[data-code="ML105"]')
    assert.equal(await diag.count(), 1)
    assert.equal(await diag.locator('.diag-where').textContent(), 'input-2.yaml:9:5')
    // The marker sits on line 9 (the `peers:` line), starting at column 5.
    const marked = await page.locator('.cm-lintRange-error').first().textContent()
    assert.equal(marked, 'peers:')
    const gutterLine = await page.evaluate(() => {
      const root = document.getElementById('editor').shadowRoot
      const marker = root.querySelector('.cm-lint-marker-error')
      const rect = marker.getBoundingClientRect()
      const lines = [...root.querySelectorAll('.cm-lineNumbers .cm-gutterElement')]
      const same = lines.find((l) => Math.abs(l.getBoundingClientRect().top - rect.top) < 4)
      return same?.textContent
    })
    assert.equal(gutterLine, '9')
    assert.equal(await page.locator('.tab-name[data-errors]').textContent(), 'input-2.yaml1')
    // The last matrix that loaded stays, marked stale.
    assert.match((await page.locator('#matrix').getAttribute('class')) ?? '', /stale/)
    await shot(page, '05-yaml-error')
    assert.deepEqual(problems, [])
    await page.close()
  })

  test('hostile files opened as a user would: the codes of tests/hostile/expect.txt, located', async () => {
    // One bad byte in a Pod (the engine decodes the file: ML101 at line 24; `Blob.text()` replaced it
    // with U+FFFD and the file loaded), UTF-16 with a byte order mark (decoded as kubectl does: it
    // loads; read as UTF-8 it was ML101), nesting 1,000 deep (ML106, through the editor).
    const expected = new Map(
      readFileSync(join(REPO, 'tests', 'hostile', 'expect.txt'), 'utf8')
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith('#'))
        .map((l) => l.trim().split(/\s+/))
        .map(([file, outcome, line]) => [file, { outcome, line }]),
    )
    const page = await newPage()
    await page.goto(server.url)
    await settled(page)
    for (const file of ['cases/invalid-utf8.yaml', 'cases/utf16le-bom.yaml', 'cases/deep-flow-1000.yaml']) {
      const want = expected.get(file)
      assert.ok(want, `${file} is in expect.txt`)
      const before = await revision(page)
      await page.setInputFiles('#open-file', join(REPO, 'tests', 'hostile', file))
      await settled(page, before)
      const shown = await page.evaluate(() => {
        const d = document.querySelector('#diagnostics .diag[data-severity="error"]')
        return { status: document.querySelector('#status').dataset.kind, error: d ? { code: d.dataset.code, where: d.querySelector('.diag-where').textContent } : null }
      })
      if (want.outcome === 'ok') {
        assert.deepEqual(shown, { status: 'ok', error: null }, file)
      } else {
        assert.equal(shown.status, 'error', file)
        assert.equal(shown.error?.code, want.outcome, file)
        assert.match(shown.error?.where ?? '', new RegExp(`^${file.split('/').pop().replace('.', '\\.')}:${want.line}:\\d+$`), file)
      }
    }
    assert.deepEqual(problems, [])
    await page.close()
  })

  test('the graph view draws the seed, edges coloured by outcome', async () => {
    const page = await newPage()
    await page.goto(server.url)
    await settled(page)
    await page.click('#tour-open')
    await page.click('.tour-nav button[data-step="3"]')
    await page.waitForSelector('#tour[data-step="3"]')
    await settled(page)
    await page.click('#view-graph')
    await page.waitForSelector('svg.graph')
    assert.equal(await page.locator('svg.graph .edge').count(), 25)
    assert.equal(await page.locator(`svg.graph .edge.tone-fail[data-from="${LEGACY}"][data-to="${HTTPBIN_FOO}"]`).count(), 1)
    assert.equal(await page.locator('svg.graph .ns-label').count(), 3)
    await shot(page, '06-graph')
    assert.deepEqual(problems, [])
    await page.close()
  })

  test('the plan: the planner’s steps, blockers with remedies, a step’s YAML and rollback, its changed cells', async () => {
    const page = await newPage()
    await page.goto(server.url)
    await settled(page)
    assert.equal(await page.locator('#examples').inputValue(), 'seed/step-0-baseline')
    await page.click('#view-plan')
    await page.waitForSelector('body[data-plan="ready"] .timeline')
    const steps = await page.locator('.timeline button[data-step]').evaluateAll((bs) => bs.map((b) => b.dataset.step))
    const want = engine.load([{ builtin: 'seed' }], { istioVersion: '1.1' }).plan()
    assert.deepEqual(steps, ['', ...want.steps.map((s) => s.name)])
    assert.ok(steps.includes('01-client-mtls-httpbin-bar'), steps.join(', '))
    assert.equal(await page.locator('#plan-goal').inputValue(), 'strict')

    // Blockers: legacy/sleep (no sidecar) holds every lock-down back, each with its remedies.
    const blockers = page.locator(`.blocker[data-client="${LEGACY}"]`)
    assert.equal(await blockers.count(), 4)
    assert.equal(await page.locator('.blocker').count(), 4)
    await blockers.first().locator('summary').click()
    const kinds = await blockers.first().locator('.remedies li').evaluateAll((ls) => ls.map((l) => l.dataset.kind))
    assert.deepEqual([...kinds].sort(), ['allow-break', 'inject-client', 'keep-permissive'])
    assert.match((await blockers.first().textContent()) ?? '', /would get 000 \(plaintext-to-strict\)/)
    // The remedy set: one remedy (label namespace legacy) releases the 4 lock-downs.
    const remedies = page.locator('.remedy-set .remedies > li')
    assert.deepEqual(await remedies.evaluateAll((ls) => ls.map((l) => [l.dataset.kind, l.dataset.target])), want.remedySet.map((r) => [r.kind, r.target]))
    assert.match((await page.locator('.remedy-set h3').textContent()) ?? '', /1 remedy → 4 of 4 held-back lock-downs/)

    // Selecting a step: its YAML, its rollback, and the matrix after it with the changed cells marked.
    await page.click('.timeline button[data-step="01-client-mtls-httpbin-bar"]')
    await page.waitForSelector('.step-detail[data-step="01-client-mtls-httpbin-bar"]')
    assert.equal(await page.locator('.timeline button[aria-current="step"]').getAttribute('data-step'), '01-client-mtls-httpbin-bar')
    const apply = (await page.locator('.step-detail pre.yaml[data-kind="apply"]').textContent()) ?? ''
    assert.match(apply, /kind: DestinationRule/)
    assert.match(apply, /host: httpbin\.bar\.svc\.cluster\.local/)
    assert.match(apply, /mode: ISTIO_MUTUAL/)
    assert.match((await page.locator('.step-detail pre.yaml[data-kind="rollback-delete"]').textContent()) ?? '', /name: httpbin-istio-mutual\n\s*namespace: bar/)
    // Its changes grouped by cause: the groups count every changed edge.
    const groups = await page.locator('.step-detail .edge-group').evaluateAll((gs) => gs.map((g) => [g.dataset.effect, Number(g.dataset.edges)]))
    assert.deepEqual(groups, want.steps[0].groups.map((g) => [g.effect, g.edges]))
    assert.equal(groups.reduce((n, [, edges]) => n + edges, 0), want.steps[0].delta.length)
    await page.waitForSelector('#matrix .grid[data-changed="4"]')
    const changed = page.locator('#matrix .cell.changed')
    assert.equal(await changed.count(), 4)
    const changedCells = await changed.evaluateAll((cs) => cs.map((c) => [c.dataset.from, c.dataset.to, c.dataset.transport, c.dataset.changed]))
    for (const [from, to, transport, change] of changedCells) {
      assert.equal(to, HTTPBIN_BAR, `${from} → ${to}`)
      assert.equal(transport, 'mtls', `${from} → ${to}`)
      assert.equal(change, 'plaintext → mtls')
    }
    assert.deepEqual(changedCells.map(([from]) => from).sort(), want.steps[0].delta.map((c) => c.from).sort())
    // Unchanged: the client without a sidecar still calls in plaintext.
    assert.doesNotMatch((await cell(page, LEGACY, HTTPBIN_BAR).getAttribute('class')) ?? '', /changed/)
    assert.equal(await cell(page, LEGACY, HTTPBIN_BAR).getAttribute('data-transport'), 'plaintext')
    await shot(page, '08-plan-step')
    // A cell after the step is explained in the mesh after the step.
    await cell(page, FOO_SLEEP, HTTPBIN_BAR).click()
    await page.waitForSelector(`#explain:not([hidden])[data-from="${FOO_SLEEP}"][data-to="${HTTPBIN_BAR}"][data-step="01-client-mtls-httpbin-bar"]`)
    assert.equal(await page.locator('#explain').getAttribute('data-reason'), 'mtls')
    await page.keyboard.press('Escape')
    // "now": the mesh as it is, nothing highlighted.
    await page.click('.timeline button[data-step=""]')
    await page.waitForSelector('#matrix .grid[data-changed="0"]')
    assert.equal(await cell(page, FOO_SLEEP, HTTPBIN_BAR).getAttribute('data-transport'), 'plaintext')

    // The plan YAML: every step, in order, loadable over the input.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#plan-download')])
    assert.equal(download.suggestedFilename(), 'meshlock-plan-strict.yaml')
    const yaml = readFileSync(await download.path(), 'utf8')
    const headed = [...yaml.matchAll(/^# ---- step (\S+):/gm)].map((m) => m[1])
    assert.deepEqual(headed, want.steps.map((s) => s.name))
    assert.equal(YAML.parseAllDocuments(yaml).filter((d) => d.contents).length, want.steps.flatMap((s) => s.apply).length)
    const applied = engine.load([{ builtin: 'seed' }, { name: 'plan.yaml', text: yaml }], { istioVersion: '1.1' })
    assert.equal(applied.stages().mesh, want.final.mesh)

    // Allowing legacy/sleep to break: the lock-down steps come, nothing is held back.
    await page.check(`.allow-break input[data-client="${LEGACY}"]`)
    await page.waitForSelector('body[data-plan="ready"] .timeline button[data-step="02-lock-httpbin-bar"]')
    assert.equal(await page.locator('.blocker').count(), 0)
    await page.click('.timeline button[data-step="02-lock-httpbin-bar"]')
    await page.waitForSelector('.step-detail[data-step="02-lock-httpbin-bar"]')
    await page.waitForSelector(`#matrix .cell.changed[data-from="${LEGACY}"][data-to="${HTTPBIN_BAR}"]`)
    assert.equal(await cell(page, LEGACY, HTTPBIN_BAR).getAttribute('data-status'), '000')
    assert.equal(await cell(page, LEGACY, HTTPBIN_BAR).getAttribute('data-verdict'), 'fail')
    assert.equal(await cell(page, LEGACY, HTTPBIN_BAR).getAttribute('data-changed'), 'plaintext → fail')
    await shot(page, '09-plan-allow-break')

    // Another goal: foo only.
    await page.selectOption('#plan-goal', 'namespace=foo')
    await page.waitForSelector('body[data-plan="ready"] .timeline button[data-step="01-client-mtls-httpbin-foo"]')
    const fooSteps = await page.locator('.timeline button[data-step]').evaluateAll((bs) => bs.map((b) => b.dataset.step).filter(Boolean))
    assert.ok(fooSteps.every((s) => s.endsWith('-foo')), fooSteps.join(', '))
    // The plan view, goal and allowed clients are part of the shared state.
    const view = await page.evaluate(() => window.meshlockPlayground.state().view)
    assert.deepEqual([view.view, view.goal, view.allowBreak], ['plan', 'namespace=foo', [LEGACY]])
    assert.deepEqual(problems, [])
    await page.close()
  })

  test('the check panel: check’s diagnostics with their locations, and SARIF', async () => {
    const page = await newPage()
    await page.goto(server.url)
    await settled(page)
    const before = await revision(page)
    await page.selectOption('#examples', 'catalogue/ml104-unknown-field')
    await settled(page, before)
    await page.click('#view-check')
    await page.waitForSelector('#check .check-summary')
    await page.waitForSelector('#check .diag')
    const example = YAML.parse(readFileSync(new URL('../../../tests/scenarios/catalogue/ml104-unknown-field.yaml', import.meta.url), 'utf8'))
    const report = engine.check(
      example.sources.map((s) => ({ name: s.name, text: s.yaml, namespace: s.namespace ?? null })),
      { istioVersion: String(example.settings.istio_version) },
    )
    const codes = await page.locator('#check .diag').evaluateAll((ds) => ds.map((d) => d.dataset.code))
    assert.deepEqual(codes, report.diagnostics.map((d) => d.code))
    assert.equal(await page.locator('#view-check').textContent(), `Check (${report.diagnostics.length})`)
    const ml104 = page.locator('#check .diag[data-code="ML104"]')
    const want = report.diagnostics.find((d) => d.code === 'ML104')
    assert.equal(await ml104.locator('.diag-where').textContent(), `${want.source}:7:3`)
    assert.ok((await page.locator('#check .exposure tbody tr').count()) > 0)
    await shot(page, '10-check')
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-sarif')])
    assert.equal(download.suggestedFilename(), 'meshlock.sarif')
    const sarif = JSON.parse(readFileSync(await download.path(), 'utf8'))
    assert.equal(sarif.version, '2.1.0')
    assert.deepEqual(sarif.runs[0].results.map((r) => r.ruleId), report.diagnostics.map((d) => d.code))
    assert.deepEqual(sarif.runs[0].results.find((r) => r.ruleId === 'ML104').locations[0].physicalLocation.region, { startLine: 7, startColumn: 3 })
    // Clicking a location reveals it in the editor.
    await ml104.locator('.diag-where').click()
    const line = await page.evaluate(() => document.getElementById('editor').shadowRoot.querySelector('.cm-activeLine')?.textContent ?? '')
    assert.match(line, /mtl/)
    assert.deepEqual(problems, [])
    await page.close()
  })

  test('edge evidence: the seed and a TrafficIntent, each cell’s evidence, the evidence filter, observed traffic', async () => {
    const page = await newPage()
    await page.goto(server.url)
    await settled(page)
    const scenarioOf = (id) => YAML.parse(readFileSync(new URL(`../../../tests/scenarios/${id}.yaml`, import.meta.url), 'utf8'))
    const sourcesOf = (s) => s.sources.map((x) => (x.builtin ? { builtin: 'seed' } : { name: x.name, text: x.yaml ?? x.csv, namespace: x.namespace ?? null }))
    /** What the page shows: every cell's edge and its evidence. */
    const shownCells = () =>
      page.locator('#matrix .cell').evaluateAll((cells) => cells.map((c) => `${c.dataset.from} ${c.dataset.to} ${c.dataset.evidence ?? ''}`).sort())
    /** What the engine answers for that scope (the same WASM build, through Node). */
    const engineCells = (mesh, options) => mesh.matrixBetween(null, null, options).edges.map((e) => `${e.from} ${e.to} ${e.evidence.join(',')}`).sort()
    const scopeTo = (kinds) => evidenceFilter(page, kinds)

    // The seed with foo's TrafficIntent (sleep in foo and in bar call httpbin.foo), from the Examples menu.
    const declared = scenarioOf('intent/declared-lock-down')
    const mesh = engine.load(sourcesOf(declared), { istioVersion: String(declared.settings.istio_version) })
    let before = await revision(page)
    await page.selectOption('#examples', 'intent/declared-lock-down')
    await settled(page, before)
    assert.deepEqual(await shownCells(), engineCells(mesh, { edges: 'all' }))
    assert.equal(await cell(page, FOO_SLEEP, HTTPBIN_FOO).getAttribute('data-evidence'), 'declared,possible')
    assert.equal(await cell(page, LEGACY, HTTPBIN_FOO).getAttribute('data-evidence'), 'possible')
    assert.deepEqual(await cell(page, FOO_SLEEP, HTTPBIN_FOO).locator('.evidence .ev').allTextContents(), ['D', 'P'])
    const every = await page.locator('#matrix .cell').count()

    // Declared edges only (the CLI's --edges declared): the intent's two edges, their rows and column.
    await scopeTo(['declared'])
    assert.deepEqual(await shownCells(), engineCells(mesh, { edges: 'declared' }))
    assert.deepEqual(await shownCells(), [`bar/sleep ${HTTPBIN_FOO} declared,possible`, `${FOO_SLEEP} ${HTTPBIN_FOO} declared,possible`])
    assert.equal(await page.locator('#matrix .grid').getAttribute('data-rows'), '2')
    assert.equal(await page.locator('#matrix .grid').getAttribute('data-cols'), '1')
    assert.match((await page.locator('#summary').textContent()) ?? '', /2 of \d+ edges with evidence declared/)
    await cell(page, FOO_SLEEP, HTTPBIN_FOO).click()
    await page.waitForSelector(`#explain:not([hidden])[data-from="${FOO_SLEEP}"][data-evidence="declared,possible"]`)
    await shot(page, '11-evidence-declared')
    // The filter is in the share link.
    assert.equal((await page.evaluate(() => window.meshlockPlayground.state())).view.edges, 'declared')

    // Undeclared edges that nothing forbids: every other edge of the seed.
    await scopeTo(['possible'])
    assert.deepEqual(await shownCells(), engineCells(mesh, { edges: 'possible' }))
    await scopeTo(['observed', 'declared', 'possible', 'forbidden'])
    assert.equal(await page.locator('#matrix .cell').count(), every)

    // Observed traffic: the scenario's metrics fill the metrics box; legacy/sleep was seen calling httpbin.foo.
    const observed = scenarioOf('intent/observed-blocker')
    const metrics = readFileSync(new URL(`../../../tests/telemetry/${observed.metrics}`, import.meta.url), 'utf8')
    const seen = engine.load(sourcesOf(observed), { istioVersion: String(observed.settings.istio_version) })
    before = await revision(page)
    await page.selectOption('#examples', 'intent/observed-blocker')
    await settled(page, before)
    assert.equal(await page.locator('#metrics').inputValue(), metrics)
    // The Node adapter reads a string as a file path: the page's text, named as the page names it.
    const named = { name: 'metrics', text: metrics }
    assert.deepEqual(await shownCells(), engineCells(seen, { edges: 'all', metrics: named }))
    assert.equal(await cell(page, LEGACY, HTTPBIN_FOO).getAttribute('data-evidence'), 'observed,possible')
    await scopeTo(['observed'])
    assert.deepEqual(await shownCells(), engineCells(seen, { edges: 'observed', metrics: named }))
    assert.ok(await cell(page, LEGACY, HTTPBIN_FOO).isVisible())
    assert.equal(await cell(page, LEGACY, 'sleep.foo.svc.cluster.local:80').count(), 0)
    await shot(page, '12-evidence-observed')

    // Without the metrics, nothing is observed: the filter shows no edge.
    before = await revision(page)
    await page.fill('#metrics', '')
    await settled(page, before)
    assert.equal(await page.locator('#matrix .cell').count(), 0)
    assert.deepEqual(problems, [])
    await page.close()
  })

  test('works offline once loaded', async () => {
    const page = await newPage()
    await page.goto(server.url)
    await settled(page)
    await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready
      if (!navigator.serviceWorker.controller) {
        await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }))
      }
      return registration.active?.state
    })
    await context.setOffline(true)
    try {
      await page.reload()
      await page.waitForSelector('body[data-ready="1"]')
      await settled(page)
      assert.equal(await cell(page, LEGACY, HTTPBIN_FOO).getAttribute('data-status'), '200')
    } finally {
      await context.setOffline(false)
    }
    assert.deepEqual(problems, [])
    await page.close()
  })

  test('the graph wraps many namespaces into rows: none is cut off', async () => {
    // 12 namespaces, a client and a service in each: 12 groups, wider than the view in one row.
    const docs = []
    for (let i = 0; i < 12; i++) {
      const ns = `team-${String(i).padStart(2, '0')}`
      docs.push(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n  labels: {istio-injection: enabled}`)
      docs.push(`apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n  namespace: ${ns}\nspec:\n  ports:\n  - {name: http, port: 80, targetPort: 8080}\n  selector: {app: api}`)
      docs.push(`apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: ${ns}\nspec:\n  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      labels: {app: api}\n    spec:\n      containers:\n      - name: api\n        image: example/api\n        ports:\n        - containerPort: 8080`)
    }
    const page = await newPage()
    await page.goto(server.url)
    await settled(page)
    const before = await revision(page)
    await page.evaluate((yaml) => window.meshlockPlayground.load([{ name: 'teams.yaml', text: yaml }]), docs.join('\n---\n'))
    await settled(page, before)
    await page.click('#view-graph')
    await page.waitForSelector('svg.graph')
    const geo = await page.evaluate(() => {
      const host = document.querySelector('#graph')
      const svg = host.querySelector('svg.graph')
      const boxes = [...svg.querySelectorAll('.ns-box')].map((r) => ({ x: Number(r.getAttribute('x')), y: Number(r.getAttribute('y')), right: Number(r.getAttribute('x')) + Number(r.getAttribute('width')), bottom: Number(r.getAttribute('y')) + Number(r.getAttribute('height')) }))
      return { hostWidth: host.clientWidth, width: Number(svg.getAttribute('width')), height: Number(svg.getAttribute('height')), boxes, edges: svg.querySelectorAll('.edge').length }
    })
    await shot(page, '06-graph-12-namespaces')
    assert.equal(geo.boxes.length, 12)
    assert.equal(geo.edges, 12 * 12)
    assert.ok(geo.width <= geo.hostWidth, `the drawing (${geo.width} px) fits the view (${geo.hostWidth} px)`)
    assert.ok(geo.boxes.every((b) => b.x >= 0 && b.right <= geo.width && b.bottom <= geo.height))
    assert.ok(new Set(geo.boxes.map((b) => b.y)).size > 1, 'namespaces wrap into rows')
    assert.deepEqual(problems, [])
    await page.close()
  })

  test('a realistic 1,000-pod dump: the map (the engine’s numbers), a pair drilled into from the full matrix, the check panel', async () => {
    const dump = realisticDump(1000)
    const mesh = engine.load([{ name: 'pods-1k-seed42.yaml', text: readFileSync(dump.path, 'utf8') }])
    const want = mesh.namespaceMap()
    const page = await newPage()
    await page.goto(server.url)
    await settled(page)
    const before = await revision(page)
    await page.setInputFiles('#open-file', dump.path)
    await page.waitForFunction((n) => Number(document.body.dataset.revision ?? 0) > n && !document.body.dataset.busy, before, { timeout: 120_000 })
    await page.waitForSelector('#heatmap .heat')
    const map = await page.evaluate(() => window.meshlockPlayground.map())
    assert.deepEqual(map, want)
    assert.equal(map.clients, 416)
    // Below 500,000 edges the page holds the whole matrix too: drilling filters it, no round trip.
    assert.equal(await page.evaluate(() => window.meshlockPlayground.matrix()?.edges.length), map.edges)
    const target = map.pairs.find((p) => p.worst === 'mtls-broken' && p.from !== p.to)
    await page.locator(`#heatmap .heat[data-from="${target.from}"][data-to="${target.to}"]`).click()
    await page.waitForSelector('#drill:not([hidden])')
    await page.waitForSelector('#matrix .cell')
    const grid = await page.evaluate(() => ({ rows: Number(document.querySelector('#matrix .grid').dataset.rows), cols: Number(document.querySelector('#matrix .grid').dataset.cols) }))
    assert.equal(grid.rows * grid.cols, target.edges)
    assert.equal(grid.rows, map.namespaces.find((n) => n.name === target.from).clients)
    await shot(page, '11-1k-pods-pair')
    await page.click('#drill-back')
    await page.waitForSelector('#heatmap .heat')
    await shot(page, '11-1k-pods-map')

    // The map by evidence: the edges a NetworkPolicy or authorization forbids, as the engine counts them.
    await evidenceFilter(page, ['forbidden'])
    const forbidden = mesh.namespaceMap({ edges: 'forbidden' })
    assert.ok(forbidden.edges > 0 && forbidden.edges < map.edges)
    assert.equal(await page.locator('#heatmap [data-pairs]').getAttribute('data-pairs'), String(forbidden.pairs.length))
    const heat = await page.locator('#heatmap .heat').evaluateAll((cells) => cells.map((c) => `${c.dataset.from} ${c.dataset.to} ${c.dataset.edges}`))
    const pairs = new Set(forbidden.pairs.map((p) => `${p.from} ${p.to} ${p.edges}`))
    assert.ok(heat.length > 0 && heat.every((h) => pairs.has(h)), heat.filter((h) => !pairs.has(h)).join('; '))
    // Drilled into, a pair shows its forbidden edges only, each with its evidence.
    const shut = forbidden.pairs.find((p) => p.from !== p.to)
    await page.locator(`#heatmap .heat[data-from="${shut.from}"][data-to="${shut.to}"]`).click()
    await page.waitForSelector('#matrix .cell')
    const edges = mesh.matrixBetween(shut.from, shut.to, { edges: 'forbidden' }).edges
    assert.equal(edges.length, shut.edges)
    const drilled = await page.evaluate(() => ({ rows: Number(document.querySelector('#matrix .grid').dataset.rows), cols: Number(document.querySelector('#matrix .grid').dataset.cols) }))
    assert.deepEqual(drilled, { rows: new Set(edges.map((e) => e.from)).size, cols: new Set(edges.map((e) => e.to)).size })
    const shown = await page.locator('#matrix .cell').evaluateAll((cells) => cells.map((c) => `${c.dataset.from} ${c.dataset.to} ${c.dataset.evidence}`))
    const wanted = new Set(edges.map((e) => `${e.from} ${e.to} ${e.evidence.join(',')}`))
    assert.ok(shown.length > 0 && shown.every((c) => wanted.has(c)), shown.filter((c) => !wanted.has(c)).join('; '))
    await shot(page, '11-1k-pods-forbidden')
    await page.click('#drill-back')
    await evidenceFilter(page, ['observed', 'declared', 'possible', 'forbidden'])
    // The check panel on opening (above 50,000 edges it is not run eagerly).
    await page.click('#view-check')
    await page.waitForFunction(() => document.body.dataset.check === document.body.dataset.revision, null, { timeout: 120_000 })
    assert.match((await page.locator('.check-summary').textContent()) ?? '', new RegExp(`${map.edges} edges`))
    assert.deepEqual(problems, [])
    await page.close()
  })

  test('a realistic 10,000-pod dump opened as a file: the map of the mesh, a pair drilled into (measured, not asserted)', async (t) => {
    const dump = realisticDump()
    const page = await newPage()
    await page.goto(server.url)
    await settled(page)
    const before = await revision(page)
    // Frame gaps on the main thread while the worker reads and analyses: the page must keep painting.
    await page.evaluate(() => {
      window.__frames = { max: 0, count: 0, last: performance.now(), stop: false }
      const tick = (now) => {
        const f = window.__frames
        f.max = Math.max(f.max, now - f.last)
        f.count++
        f.last = now
        if (!f.stop) requestAnimationFrame(tick)
      }
      requestAnimationFrame(tick)
      window.__opened = performance.now()
    })
    const started = Date.now()
    // As a user would: the file picker (a 130 MB dump goes to the engine, not into the editor).
    await page.setInputFiles('#open-file', dump.path)
    await page.waitForFunction((n) => Number(document.body.dataset.revision ?? 0) > n && !document.body.dataset.busy, before, { timeout: 600_000 })
    await page.waitForSelector('#heatmap .heat')
    const wall = Date.now() - started
    const measured = await page.evaluate(() => {
      window.__frames.stop = true
      const map = document.querySelector('#heatmap .heatmap')
      return {
        sinceOpenMs: performance.now() - window.__opened,
        analysisMs: Number(document.body.dataset.lastMs),
        engineMs: Number(document.body.dataset.engineMs),
        maxFrameGapMs: window.__frames.max,
        frames: window.__frames.count,
        status: document.querySelector('#status').textContent,
        state: document.body.dataset.state,
        rows: Number(map.dataset.rows),
        cols: Number(map.dataset.cols),
        pairs: Number(map.dataset.pairs),
        heatCellsInDom: document.querySelectorAll('#heatmap .heat').length,
        matrixHidden: document.querySelector('#matrix').hidden,
        editorText: window.meshlockPlayground.state().sources.map((s) => s.file ?? s.text?.length),
      }
    })
    // Responsive: a click on the page is answered while the map is up.
    const clickMs = await page.evaluate(async () => {
      const t0 = performance.now()
      document.querySelector('#view-matrix').click()
      await new Promise((r) => requestAnimationFrame(() => r()))
      return performance.now() - t0
    })
    await shot(page, '07-10k-pods-map')
    // Drill into a pair the mTLS configuration breaks, as a user would: click its cell.
    const map = await page.evaluate(() => window.meshlockPlayground.map())
    const target = map.pairs.find((p) => p.worst === 'mtls-broken' && p.from !== p.to)
    assert.ok(target, 'the dump has a pair broken by mTLS')
    await page.selectOption('#filter-client', target.from)
    const column = map.namespaces.filter((n) => n.servicePorts > 0).findIndex((n) => n.name === target.to)
    await page.evaluate((left) => {
      document.querySelector('#heatmap .grid-body').scrollLeft = left
    }, Math.max(0, column * 58 - 200))
    const heat = page.locator(`#heatmap .heat[data-from="${target.from}"][data-to="${target.to}"]`)
    await heat.waitFor()
    assert.equal(await heat.getAttribute('data-worst'), 'mtls-broken')
    const drillStarted = Date.now()
    await heat.click()
    await page.waitForSelector('#matrix .cell')
    const drillMs = Date.now() - drillStarted
    const pair = await page.evaluate(() => {
      const grid = document.querySelector('#matrix .grid')
      const cells = [...document.querySelectorAll('#matrix .cell')]
      return {
        rows: Number(grid.dataset.rows),
        cols: Number(grid.dataset.cols),
        drill: document.querySelector('#drill-title').textContent,
        heatmapHidden: document.querySelector('#heatmap').hidden,
        froms: [...new Set(cells.map((c) => c.dataset.from.split('/')[0]))],
      }
    })
    await shot(page, '08-10k-pods-pair')
    // Only the failing cells of the pair: the ones mTLS breaks are among them.
    await page.selectOption('#filter-verdict', 'fail')
    await page.waitForSelector('#matrix .cell[data-verdict="fail"]:not(.dim)')
    pair.failing = await page.locator('#matrix .cell[data-verdict="fail"]').count()
    const report = {
      input: { file: dump.relative, pods: 10_000, yamlBytes: dump.bytes, generateMs: dump.generateMs },
      timeToFirstViewMs: Math.round(measured.sinceOpenMs),
      wallClockMs: wall,
      analysisRoundTripMs: measured.analysisMs,
      engineInWorkerMs: measured.engineMs,
      maxMainThreadFrameGapMs: Math.round(measured.maxFrameGapMs),
      framesDuringAnalysis: measured.frames,
      clickToPaintMs: Math.round(clickMs),
      map: { clients: map.clients, servicePorts: map.servicePorts, edges: map.edges, namespaces: map.namespaces.length, pairs: map.pairs.length, totals: map.totals },
      heatCellsInDom: measured.heatCellsInDom,
      drilled: { pair: `${target.from} → ${target.to}`, edges: target.edges, grid: `${pair.rows} × ${pair.cols}`, clickToGridMs: drillMs },
    }
    writeFileSync(join(ARTIFACTS, 'perf-10k-pods.json'), JSON.stringify(report, null, 2) + '\n')
    t.diagnostic(`10,000 pods: ${JSON.stringify(report)}`)
    console.log(`# perf: 10,000 pods (${(dump.bytes / 1e6).toFixed(1)} MB YAML, opened as a file): first view (the map) after ${report.timeToFirstViewMs} ms (engine ${Math.round(report.engineInWorkerMs)} ms in the worker), longest main-thread frame gap ${report.maxMainThreadFrameGapMs} ms, ${map.edges} edges in ${map.pairs.length} namespace pairs, ${measured.heatCellsInDom} map cells in the DOM; drilling into ${report.drilled.pair} (${report.drilled.grid}) ${drillMs} ms`)
    assert.equal(measured.state, 'ok', measured.status)
    assert.ok(measured.matrixHidden, 'the matrix view opens on the map')
    assert.equal(measured.rows, map.namespaces.filter((n) => n.clients > 0).length)
    assert.equal(measured.cols, map.namespaces.filter((n) => n.servicePorts > 0).length)
    assert.equal(measured.pairs, map.pairs.length)
    assert.equal(map.pairs.reduce((n, p) => n + p.edges, 0), map.edges)
    assert.ok(measured.heatCellsInDom > 0 && measured.heatCellsInDom < 5000, `virtualised: ${measured.heatCellsInDom} map cells in the DOM`)
    assert.deepEqual(measured.editorText, [dump.bytes], 'the file is not in the editor')
    assert.ok(clickMs < 1000, `a click is answered in ${clickMs} ms`)
    assert.equal(pair.drill, `clients in ${target.from} → services in ${target.to}`)
    assert.ok(pair.heatmapHidden)
    assert.equal(pair.rows * pair.cols, target.edges)
    assert.deepEqual(pair.froms, [target.from])
    assert.ok(pair.failing > 0, 'the broken pair shows failing cells')
    // The pair as a graph: both namespaces drawn, none cut off.
    await page.selectOption('#filter-verdict', 'all')
    await page.click('#view-graph')
    await page.waitForSelector('svg.graph')
    const graph = await page.evaluate(() => {
      const svg = document.querySelector('svg.graph')
      const width = Number(svg.getAttribute('width'))
      const boxes = [...svg.querySelectorAll('.ns-box')].map((r) => Number(r.getAttribute('x')) + Number(r.getAttribute('width')))
      return { labels: [...svg.querySelectorAll('.ns-label')].map((l) => l.textContent), inside: boxes.every((right) => right <= width), edges: svg.querySelectorAll('.edge').length }
    })
    await shot(page, '09-10k-pods-pair-graph')
    assert.deepEqual(graph.labels.sort(), [`namespace ${target.from}`, `namespace ${target.to}`].sort())
    assert.ok(graph.inside)
    assert.equal(graph.edges, target.edges)
    // And back to the map.
    await page.click('#view-matrix')
    await page.click('#drill-back')
    await page.waitForSelector('#heatmap .heat')
    assert.equal(await page.locator('#matrix').isHidden(), true)
    assert.deepEqual(problems, [])
    await page.close()
  })

})
