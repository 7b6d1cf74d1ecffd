// End-to-end: the built playground (dist/) in real headless Chromium (Debian `chromium`, driven by
// playwright-core; no browser download), served from 127.0.0.1. Screenshots and the measured time to
// first matrix on a generated 10,000-pod input go to tests/e2e/artifacts/ (gitignored).
//
//   npm run build && node --test --test-concurrency=1 tests/e2e/
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { generateCluster } from './generate.mjs'
import { serve } from './server.mjs'

const HERE = fileURLToPath(new URL('.', import.meta.url))
const DIST = join(HERE, '..', '..', 'dist')
const ARTIFACTS = join(HERE, 'artifacts')
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
const TIMEOUT = 60_000

const LEGACY = 'legacy/sleep'
const FOO_SLEEP = 'foo/sleep'
const HTTPBIN_FOO = 'httpbin.foo.svc.cluster.local:8000'

/** The guide's table, step by step: status of each client calling httpbin.foo (core's tour rows). */
const GUIDE = {
  0: { 'foo/sleep': '200', 'bar/sleep': '200', 'legacy/sleep': '200' },
  1: { 'foo/sleep': '200', 'bar/sleep': '200', 'legacy/sleep': '200' },
  2: { 'foo/sleep': '200', 'bar/sleep': '200', 'legacy/sleep': '200' },
  3: { 'foo/sleep': '200', 'bar/sleep': '200', 'legacy/sleep': '000' },
  "3'": { 'foo/sleep': '503', 'bar/sleep': '503', 'legacy/sleep': '000' },
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

  test('a 10,000-pod paste: time to first matrix (measured, not asserted), the page stays responsive', async (t) => {
    const { text, pods, services } = generateCluster({ seed: 42 })
    assert.equal(pods, 10_000)
    const page = await newPage()
    await page.goto(server.url)
    await settled(page)
    const before = await revision(page)
    // Frame gaps on the main thread while the worker analyses: the page must keep painting.
    await page.evaluate(() => {
      window.__frames = { max: 0, count: 0, last: performance.now(), stop: false, gaps: [] }
      const tick = (now) => {
        const f = window.__frames
        f.max = Math.max(f.max, now - f.last)
        if (now - f.last > 50) f.gaps.push([f.last, now - f.last])
        f.count++
        f.last = now
        if (!f.stop) requestAnimationFrame(tick)
      }
      requestAnimationFrame(tick)
    })
    const started = Date.now()
    await page.evaluate((yaml) => {
      window.__pasted = performance.now()
      window.meshlockPlayground.load([{ name: 'cluster.yaml', text: yaml }], { istioVersion: 'current' })
      window.__loaded = performance.now()
    }, text)
    const loadCall = Date.now() - started
    await page.waitForFunction((n) => Number(document.body.dataset.revision ?? 0) > n && !document.body.dataset.busy, before, { timeout: 180_000 })
    await page.waitForSelector('#matrix .cell')
    const wall = Date.now() - started
    const measured = await page.evaluate(() => {
      window.__frames.stop = true
      return {
        sincePasteMs: performance.now() - window.__pasted,
        analysisMs: Number(document.body.dataset.lastMs),
        engineMs: Number(document.body.dataset.engineMs),
        maxFrameGapMs: window.__frames.max,
        // Gaps that start after the paste returned: the analysis itself (worker, transfer, rendering).
        maxFrameGapAfterPasteMs: Math.max(0, ...window.__frames.gaps.filter(([start]) => start >= window.__loaded).map(([, gap]) => gap)),
        pasteMs: window.__loaded - window.__pasted,
        frames: window.__frames.count,
        rows: Number(document.querySelector('#matrix .grid').dataset.rows),
        cols: Number(document.querySelector('#matrix .grid').dataset.cols),
        cellsInDom: document.querySelectorAll('#matrix .cell').length,
      }
    })
    // Scrolling the virtualised grid stays cheap.
    const scroll = await page.evaluate(async () => {
      const body = document.querySelector('.grid-body')
      const t0 = performance.now()
      for (let i = 1; i <= 20; i++) {
        body.scrollTop = i * 600
        body.scrollLeft = i * 300
        await new Promise((r) => requestAnimationFrame(() => r()))
      }
      return { ms: performance.now() - t0, cellsInDom: document.querySelectorAll('#matrix .cell').length }
    })
    await shot(page, '07-10k-pods')
    const report = {
      input: { pods, services, yamlBytes: text.length },
      timeToFirstMatrixMs: Math.round(measured.sincePasteMs),
      wallClockMs: wall,
      loadCallMs: loadCall,
      analysisRoundTripMs: measured.analysisMs,
      engineInWorkerMs: measured.engineMs,
      pasteIntoEditorMs: Math.round(measured.pasteMs),
      maxMainThreadFrameGapMs: Math.round(measured.maxFrameGapMs),
      maxFrameGapWhileAnalysingMs: Math.round(measured.maxFrameGapAfterPasteMs),
      framesDuringAnalysis: measured.frames,
      matrix: `${measured.rows} × ${measured.cols}`,
      cellsInDom: measured.cellsInDom,
      scroll20FramesMs: Math.round(scroll.ms),
    }
    writeFileSync(join(ARTIFACTS, 'perf-10k-pods.json'), JSON.stringify(report, null, 2) + '\n')
    t.diagnostic(`10,000 pods: ${JSON.stringify(report)}`)
    console.log(`# perf: 10,000 pods (${(text.length / 1e6).toFixed(1)} MB YAML): first matrix after ${report.timeToFirstMatrixMs} ms (engine ${Math.round(report.engineInWorkerMs)} ms in the worker), pasting into the editor ${report.pasteIntoEditorMs} ms, longest main-thread frame gap after that ${report.maxFrameGapWhileAnalysingMs} ms, ${report.matrix} cells, ${report.cellsInDom} in the DOM`)
    assert.equal(measured.rows, 400)
    assert.equal(measured.cols, services)
    assert.ok(measured.cellsInDom < 5000, `virtualised: ${measured.cellsInDom} cells in the DOM`)
    assert.deepEqual(problems, [])
    await page.close()
  })
})
