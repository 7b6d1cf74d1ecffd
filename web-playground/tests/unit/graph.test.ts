// The graph's layout: namespaces wrap into rows, so that none is cut off however many there are.
import { describe, expect, test } from 'vitest'
import { layout } from '../../src/graph'
import type { MatrixData } from '../../src/matrix'

function mesh(namespaces: number): MatrixData {
  const names = Array.from({ length: namespaces }, (_, i) => `ns-${String(i).padStart(2, '0')}`)
  const clients = names.map((ns) => ({ id: `${ns}/client`, kind: 'Deployment', sidecar: true, sidecarReason: '' }))
  const services = names.map((ns) => ({ id: `svc.${ns}.svc.cluster.local:80`, namespace: ns, name: 'svc', port: 80, portName: null, endpoints: [] }))
  return { settings: {} as MatrixData['settings'], clients, services, kinds: [], cells: new Uint16Array(namespaces * namespaces) }
}

describe('graph layout', () => {
  test('30 namespaces in a 1,600 px wide view: rows of namespaces, every group and node inside the drawing', () => {
    const m = mesh(30)
    const all = { rows: m.clients.map((_, i) => i), cols: m.services.map((_, i) => i) }
    const geo = layout(m, all, 1600)
    expect(geo.groups).toHaveLength(30)
    expect(geo.width).toBeLessThanOrEqual(1600)
    for (const g of geo.groups) {
      expect(g.x).toBeGreaterThanOrEqual(0)
      expect(g.x + g.w).toBeLessThanOrEqual(geo.width)
      expect(g.y + g.h).toBeLessThanOrEqual(geo.height)
    }
    for (const p of [...geo.clients.values(), ...geo.services.values()]) {
      expect(p.x).toBeLessThan(geo.width)
      expect(p.y).toBeLessThan(geo.height)
    }
    expect(new Set(geo.groups.map((g) => g.y)).size).toBeGreaterThan(1)
    // No two groups overlap.
    for (const a of geo.groups) {
      for (const b of geo.groups) {
        if (a === b) continue
        const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y
        expect(apart).toBe(true)
      }
    }
  })

  test('a narrow view still shows one namespace per row', () => {
    const m = mesh(3)
    const geo = layout(m, { rows: [0, 1, 2], cols: [0, 1, 2] }, 200)
    expect(new Set(geo.groups.map((g) => g.x)).size).toBe(1)
    expect(geo.groups.map((g) => g.namespace)).toEqual(['ns-00', 'ns-01', 'ns-02'])
  })
})
