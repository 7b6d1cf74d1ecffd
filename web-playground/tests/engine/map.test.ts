// The map of the mesh on the WASM engine: the numbers `meshlock matrix --by namespace` prints
// (pinned on the seed by cli/tests/namespace_map.rs), and a pair's grid equal to the full matrix's
// rows and columns of that pair. Needs the build: scripts/build-wasm.sh.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import type * as Adapter from '../../../bindings-node/wasm.cjs'
import { abbreviate, describePair, mapAxes } from '../../src/heatmap'

const meshlock = createRequire(import.meta.url)('../../../bindings-node/wasm.cjs') as typeof Adapter
const SEED = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'core', 'seed')
const read = (name: string) => ({ name, text: readFileSync(join(SEED, name), 'utf8') })

/** Step 3′ of the tour: STRICT in foo without the DestinationRule (as the CLI test runs it). */
function strictWithoutDr() {
  return meshlock.load([read('cluster.yaml'), { ...read('step3-policy.yaml'), namespace: 'foo' }])
}

describe('the namespace map', () => {
  test('the seed at step 3′: the CLI’s numbers', () => {
    const map = strictWithoutDr().namespaceMap()
    expect(map.edges).toBe(25)
    expect(map.worst).toBe('mtls-broken')
    expect(map.totals).toEqual({ okMtls: 0, okPlaintext: 20, denied: 0, otherFailure: 0, mtlsBroken: 5 })
    expect(map.namespaces).toEqual([
      { name: 'bar', clients: 2, servicePorts: 2 },
      { name: 'foo', clients: 2, servicePorts: 2 },
      { name: 'legacy', clients: 1, servicePorts: 1 },
    ])
    // `meshlock matrix --by namespace --format csv`, row by row.
    const csv = map.pairs.map((p) => [p.from, p.to, p.edges, p.counts.okMtls, p.counts.okPlaintext, p.counts.denied, p.counts.otherFailure, p.counts.mtlsBroken, p.worst].join(','))
    expect(csv).toEqual([
      'bar,bar,4,0,4,0,0,0,ok-plaintext',
      'bar,foo,4,0,2,0,0,2,mtls-broken',
      'bar,legacy,2,0,2,0,0,0,ok-plaintext',
      'foo,bar,4,0,4,0,0,0,ok-plaintext',
      'foo,foo,4,0,2,0,0,2,mtls-broken',
      'foo,legacy,2,0,2,0,0,0,ok-plaintext',
      'legacy,bar,2,0,2,0,0,0,ok-plaintext',
      'legacy,foo,2,0,1,0,0,1,mtls-broken',
      'legacy,legacy,1,0,1,0,0,0,ok-plaintext',
    ])
  })

  test('a pair’s grid is the full matrix restricted to the pair; null is every namespace', () => {
    const mesh = strictWithoutDr()
    const full = mesh.matrix()
    expect(mesh.matrixBetween(null, null)).toEqual(full)
    const pair = mesh.matrixBetween('legacy', 'foo')
    expect(pair.clients.map((c) => c.id)).toEqual(['legacy/sleep'])
    expect(pair.services.every((s) => s.namespace === 'foo')).toBe(true)
    expect(pair.edges).toEqual(full.edges.filter((e) => e.from === 'legacy/sleep' && pair.services.some((s) => s.id === e.to)))
    expect(pair.edges.map((e) => e.status)).toEqual(['000', '200'])
  })

  test('the page’s helpers', () => {
    const map = strictWithoutDr().namespaceMap()
    expect(mapAxes(map)).toEqual({ rows: ['bar', 'foo', 'legacy'], cols: ['bar', 'foo', 'legacy'] })
    expect(mapAxes(map, 'legacy', '')).toEqual({ rows: ['legacy'], cols: ['bar', 'foo', 'legacy'] })
    const legacyFoo = map.pairs.find((p) => p.from === 'legacy' && p.to === 'foo')
    expect(legacyFoo && describePair(legacyFoo)).toBe('clients in legacy → services in foo: 2 edges (1 ok-plaintext, 1 mtls-broken); worst: mtls-broken')
    expect([950, 1000, 1250, 12_345, 999_999, 2_300_000, 22_934_169].map(abbreviate)).toEqual(['950', '1k', '1.3k', '12k', '1M', '2.3M', '22.9M'])
  })
})
