// Vite plugin: `virtual:meshlock-examples`, the playground's Examples menu built from the shared
// scenario corpus (tests/scenarios/**/*.yaml, format in tests/scenarios/README.md), so every example
// in the UI is a tested case. The seed scenarios come first, the baseline before the steps.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import YAML from 'yaml'

const ID = 'virtual:meshlock-examples'
const RESOLVED = '\0' + ID

function files(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const path = join(dir, e.name)
      if (e.isDirectory()) return files(path)
      return e.isFile() && e.name.endsWith('.yaml') ? [path] : []
    })
    .sort()
}

/** One scenario file → one example (sources and settings as the playground state holds them). */
export function toExample(root, file) {
  const scenario = YAML.parse(readFileSync(file, 'utf8'))
  const id = relative(root, file).split(sep).join('/').replace(/\.yaml$/, '')
  const settings = {}
  const s = scenario.settings ?? {}
  if (s.istio_version != null) settings.istioVersion = String(s.istio_version)
  if (s.auto_mtls != null) settings.autoMtls = Boolean(s.auto_mtls)
  if (s.root_namespace != null) settings.rootNamespace = String(s.root_namespace)
  const sources = (scenario.sources ?? []).map((src) => {
    if (src.builtin != null) return { builtin: String(src.builtin), name: 'meshlock:seed/cluster.yaml' }
    const out = { name: src.name ?? 'input.yaml', text: String(src.yaml ?? src.csv ?? '') }
    if (src.namespace != null) out.namespace = String(src.namespace)
    return out
  })
  const expect = scenario.expect ?? {}
  const probes = (expect.probes ?? []).map((p) => ({
    from: p.from,
    to: p.to,
    ...(p.status != null && { status: String(p.status) }),
    ...(p.reason != null && { reason: p.reason }),
  }))
  return {
    id,
    group: id.includes('/') ? id.slice(0, id.indexOf('/')) : '',
    name: scenario.name,
    description: String(scenario.description ?? '').trim(),
    rule: String(scenario.rule ?? ''),
    load: expect.load ?? 'ok',
    settings,
    sources,
    probes,
    // Observed traffic, a file of tests/telemetry/ (the scenario's `metrics`): the metrics box.
    ...(scenario.metrics != null && { metrics: readFileSync(join(root, '..', 'telemetry', String(scenario.metrics)), 'utf8') }),
  }
}

/** The seed first (its steps in order, then the rest of the seed group), then the other groups by name. */
export function orderExamples(examples) {
  const rank = (e) => (e.group !== 'seed' ? 2 : e.id.startsWith('seed/step-') ? 0 : 1)
  return [...examples].sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id))
}

export function loadExamples(root) {
  return orderExamples(files(root).map((f) => toExample(root, f)))
}

export function examplesPlugin(root) {
  return {
    name: 'meshlock-examples',
    resolveId(id) {
      return id === ID ? RESOLVED : null
    },
    load(id) {
      if (id !== RESOLVED) return null
      for (const f of files(root)) this.addWatchFile(f)
      return `export default ${JSON.stringify(loadExamples(root))}`
    },
  }
}
