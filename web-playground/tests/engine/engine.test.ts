// The WASM engine itself (through the Node package's adapter, bindings-node/wasm.cjs): what the
// playground relies on beyond the shared scenario corpus (which bindings-node/test replays with
// MESHLOCK_IMPL=wasm). Needs the build: scripts/build-wasm.sh.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { describe, expect, test, vi } from 'vitest'
import type * as Adapter from '../../../bindings-node/wasm.cjs'
import { SEED_NAME, engineSources } from '../../src/state'
import { stepSources } from '../../src/tour'

const meshlock = createRequire(import.meta.url)('../../../bindings-node/wasm.cjs') as typeof Adapter
const { Mesh, MeshlockError, load, tour } = meshlock

describe('the tour, as the playground rebuilds it', () => {
  test('every step’s sources (seed + applied chain) give core’s own rows', () => {
    const t = tour()
    expect(t.steps.map((s) => s.id)).toEqual(['0', '1', '2', '3', "3'"])
    for (const step of t.steps) {
      const sources = stepSources(t, step.id)
      expect(sources[0]).toEqual({ name: SEED_NAME, builtin: 'seed' })
      const mesh = load(engineSources(sources), { istioVersion: t.istioVersion })
      for (const row of step.rows) {
        const got = mesh.probe(row.outcome.from, 'httpbin.foo:8000/ip')
        expect({ step: step.id, from: got.from, status: got.status, reason: got.reason, transport: got.transport }).toEqual({
          step: step.id,
          from: row.outcome.from,
          status: row.outcome.status,
          reason: row.outcome.reason,
          transport: row.outcome.transport,
        })
      }
    }
  })

  test('after the lock-down the legacy client’s call is reset: 000, curl exit 56', () => {
    const row = tour().steps.find((s) => s.id === '3')?.rows.find((r) => r.outcome.from === 'legacy/sleep')
    expect(row?.outcome.status).toBe('000')
    expect(row?.outcome.curlExit).toBe(56)
    expect(row?.guidePrints).toBe('503')
  })
})

describe('the boundary', () => {
  test('a panic in the engine is an internal MeshlockError, and the engine recovers', () => {
    const before = Mesh.seed()
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      expect(() => meshlock.__panicForTests()).toThrowError(MeshlockError)
      try {
        meshlock.__panicForTests()
      } catch (err) {
        expect(err).toBeInstanceOf(MeshlockError)
        expect((err as InstanceType<typeof MeshlockError>).code).toBe('internal')
        expect((err as Error).message).toMatch(/internal error in meshlock/)
      }
    } finally {
      quiet.mockRestore()
    }
    // The crashed instance's meshes are gone (with a clear error); new ones work.
    expect(() => before.probe('legacy/sleep', 'httpbin.foo:8000')).toThrowError(/lost when the engine crashed/)
    expect(Mesh.seed().probe('legacy/sleep', 'httpbin.foo:8000').status).toBe('200')
  })

  test('results are plain data with camelCase keys; diagnostics keep their field names', () => {
    const outcome = Mesh.seed().probe('legacy/sleep', 'httpbin.foo:8000')
    expect(Object.getPrototypeOf(outcome)).toBe(Object.prototype)
    expect(JSON.parse(JSON.stringify(outcome))).toEqual(outcome)
    const settings = Mesh.seed().settings
    expect(Object.keys(settings)).toEqual(['istioVersion', 'istioVersionOrigin', 'autoMtls', 'autoMtlsOrigin', 'rootNamespace', 'trustDomain'])
  })

  test('a path is read through the host (node:fs), with the native package’s io error', () => {
    expect(() => load(['/nonexistent/meshlock.yaml'])).toThrowError(/cannot read `\/nonexistent\/meshlock\.yaml`/)
    try {
      load(['/nonexistent/meshlock.yaml'])
    } catch (err) {
      expect((err as InstanceType<typeof MeshlockError>).code).toBe('io')
    }
  })

  test('the browser’s module has no file system: a path is an io error that says to pass the text', async () => {
    const browser = await import('../../pkg/meshlock_wasm.js')
    browser.initSync({ module: readFileSync(new URL('../../pkg/meshlock_wasm_bg.wasm', import.meta.url)) })
    try {
      browser.Mesh.load(['cluster.yaml'], null)
      expect.unreachable('a path loaded without a file system')
    } catch (err) {
      expect((err as { code: string }).code).toBe('io')
      expect((err as Error).message).toMatch(/^cannot read `cluster\.yaml`: .*no file system; pass the file's content as `\{name, text\}`/)
    }
  })

  test('bad arguments are bad-request errors, never crashes', () => {
    const codes: string[] = []
    for (const bad of [
      () => load([42 as never]),
      () => load([{ name: 'x.yaml' } as never]),
      () => Mesh.fromYaml('a: b', 'nope' as never),
      () => Mesh.fromYaml('a: b', { autoMtls: 'yes' as never }),
      () => Mesh.seed().apply([null as never]),
    ]) {
      try {
        bad()
        codes.push('no error')
      } catch (err) {
        codes.push(err instanceof MeshlockError ? err.code : `not a MeshlockError: ${err}`)
      }
    }
    expect(codes).toEqual(['bad-request', 'bad-request', 'bad-request', 'bad-request', 'bad-request'])
  })

  test('the text renderings match the CLI’s', () => {
    const mesh = Mesh.seed()
    expect(mesh.explain('legacy/sleep', 'httpbin.foo:8000')).toMatch(/^legacy\/sleep → httpbin\.foo\.svc\.cluster\.local:8000: 200/)
    expect(mesh.matrixCsv().split('\n')[0]).toBe('from,to,status,curl_exit,transport,verdict,reason')
    expect(mesh.matrixTable()).toMatch(/25 edges, 0 failing/)
    expect(meshlock.tourText()).toMatch(/Mutual TLS Migration/)
  })
})
