'use strict'
// meshlock on Node through the WASM build: the same JS API as the native package (bindings-node),
// for tests (MESHLOCK_IMPL=wasm) and for hosts without a native addon.
//
// Conversion and error mapping only: every decision is in the core (web-playground/wasm wraps it).
// - file paths are read here (the native addon reads them in Rust), with the same error code `io`,
//   their bytes passed to the engine (`{name, bytes}`), which decodes them as the native addon and the
//   CLI do;
// - errors thrown by the engine (`name: 'MeshlockError'`, `.code`, `.diagnostics`) become instances
//   of this module's `MeshlockError` class;
// - a panic in the engine aborts the WebAssembly instance (wasm32 has no unwinding): it surfaces as a
//   `WebAssembly.RuntimeError`, which becomes `MeshlockError` code `internal`; the engine is then
//   loaded afresh, and meshes made by the crashed instance throw `internal` when used.
//
// Build the engine first: `sh web-playground/scripts/build-wasm.sh` (writes web-playground/pkg-node).

const fs = require('node:fs')
const path = require('node:path')

const ENGINE = path.join(__dirname, '..', 'pkg-node', 'meshlock_wasm.js')
const DEFAULT_SOURCE_NAME = 'input.yaml'

class MeshlockError extends Error {
  constructor(message, options) {
    super(message)
    this.code = (options && options.code) || 'internal'
    this.diagnostics = (options && options.diagnostics) || []
  }
}
Object.defineProperty(MeshlockError.prototype, 'name', { value: 'MeshlockError', writable: true, configurable: true })

let engine = null
let generation = 0

function load_engine() {
  if (engine === null) {
    delete require.cache[ENGINE]
    try {
      engine = require(ENGINE)
    } catch (err) {
      if (err && err.code === 'MODULE_NOT_FOUND') {
        throw new MeshlockError(`the meshlock WASM engine is not built (${ENGINE}): run web-playground/scripts/build-wasm.sh`)
      }
      throw err
    }
    generation += 1
  }
  return engine
}

/** An error from the engine (or a crash of it) as a `MeshlockError`; other errors pass through. */
function convert(err, caller) {
  if (err instanceof MeshlockError) return err
  let converted = null
  if (err && err.name === 'MeshlockError') {
    converted = new MeshlockError(err.message, { code: err.code, diagnostics: err.diagnostics })
  } else if (err instanceof WebAssembly.RuntimeError) {
    engine = null // the instance is in an unknown state: the next call loads a fresh one
    converted = new MeshlockError(`internal error in meshlock (please report it): ${err.message}`, { code: 'internal' })
  }
  if (converted === null) return err
  if (caller) Error.captureStackTrace(converted, caller)
  return converted
}

/** Runs `fn(engine)`, mapping what it throws; `caller` is left out of the error's stack. */
function call(caller, fn) {
  try {
    return fn(load_engine())
  } catch (err) {
    throw convert(err, caller)
  }
}

function bad_request(message) {
  return new MeshlockError(message, { code: 'bad-request' })
}

/** `{name?, namespace?, ...settings}` → the source options and the settings. */
function split_options(options) {
  if (options === undefined || options === null) return { name: null, namespace: null, settings: null }
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw bad_request(`bad options: expected an object, got ${JSON.stringify(options)}`)
  }
  const { name = null, namespace = null, ...settings } = options
  for (const [key, value] of [['name', name], ['namespace', namespace]]) {
    if (value !== null && typeof value !== 'string') {
      throw bad_request(`bad options: \`${key}\` must be a string, got ${JSON.stringify(value)}`)
    }
  }
  return { name, namespace, settings }
}

function list(sources) {
  return Array.isArray(sources) ? sources : [sources]
}

/** YAML text named by the options; objects pass as they are (`{name, text, namespace?}` | `{builtin}`). */
function inline_source(source, opts) {
  if (typeof source === 'string') return { name: opts.name || DEFAULT_SOURCE_NAME, text: source, namespace: opts.namespace }
  return source
}

/**
 * A string is a file or directory path, read as the CLI reads `-f` (a directory: its `*.yaml`,
 * `*.yml` and `*.json` files in name order): each file refused before it is read when larger than
 * the input limit; its bytes go to the engine, which decodes them as the CLI does (never `'utf8'`
 * here, which would replace bytes that are not text and misread UTF-16). Returns a list.
 */
function path_or_inline_sources(wasm, source, opts) {
  if (typeof source !== 'string') return [source]
  const cannot = (err) => new MeshlockError(`cannot read \`${source}\`: ${err.message}`, { code: 'io' })
  let stat
  try {
    stat = fs.statSync(source)
  } catch (err) {
    throw cannot(err)
  }
  if (stat.isDirectory()) {
    let names
    try {
      names = fs.readdirSync(source)
    } catch (err) {
      throw cannot(err)
    }
    return names
      .filter((name) => /\.(yaml|yml|json)$/.test(name))
      .sort()
      .map((name) => path.join(source, name))
      .filter((file) => fs.statSync(file).isFile())
      .flatMap((file) => path_or_inline_sources(wasm, file, opts))
  }
  const size = stat.size
  wasm.checkInputSize(source, size, opts.settings)
  let bytes
  try {
    bytes = fs.readFileSync(source)
  } catch (err) {
    throw cannot(err)
  }
  return [{ name: source, bytes, namespace: opts.namespace }]
}

/** Observed traffic: a string is a file path (read here); `{name, text}` passes as it is. */
function metrics_input(metrics) {
  if (typeof metrics !== 'string') return metrics
  let text
  try {
    text = fs.readFileSync(metrics, 'utf8')
  } catch (err) {
    throw new MeshlockError(`cannot read \`${metrics}\`: ${err.message}`, { code: 'io' })
  }
  return { name: metrics, text }
}

/** `check()`/`matrix()`/`diff()` options: as `plan()`'s, a string `metrics` is a file path. */
function weigh_input(options) {
  if (options === undefined || options === null) return null
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw bad_request(`bad options: expected an object, got ${JSON.stringify(options)}`)
  }
  if (options.metrics === undefined || options.metrics === null) return options
  return { ...options, metrics: metrics_input(options.metrics) }
}

/** `plan()` options: a string `metrics` is a file path, read here; the engine checks the rest. */
function plan_input(options) {
  if (options === undefined || options === null) return null
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw bad_request(`bad plan options: expected an object, got ${JSON.stringify(options)}`)
  }
  if (options.metrics === undefined || options.metrics === null) return options
  return { ...options, metrics: metrics_input(options.metrics) }
}

const NO_OPTIONS = { name: null, namespace: null }
const STEP_KEYS = ['name', 'apply', 'delete']

/** Sources of a step: one or a list; a string is YAML text. */
function step_sources(sources) {
  return sources === undefined || sources === null ? [] : list(sources).map((s) => inline_source(s, NO_OPTIONS))
}

/** A `simulate()` step: sources to apply, or `{name?, apply?, delete?}`. */
function step_input(step, index) {
  if (step !== null && typeof step === 'object' && !Array.isArray(step)) {
    const unknown = Object.keys(step).filter((k) => !STEP_KEYS.includes(k))
    if (unknown.length > 0) {
      throw bad_request(`bad step ${index + 1}: unknown field \`${unknown[0]}\`, expected one of \`name\`, \`apply\`, \`delete\``)
    }
    if (step.name !== undefined && step.name !== null && typeof step.name !== 'string') {
      throw bad_request(`bad step ${index + 1}: \`name\` must be a string, got ${JSON.stringify(step.name)}`)
    }
    return { name: step.name ?? null, apply: step_sources(step.apply), delete: step_sources(step.delete) }
  }
  return { name: null, apply: step_sources(step), delete: [] }
}

const SESSION = Symbol('session')
const GENERATION = Symbol('generation')

/** The engine session of `mesh`, unless the engine crashed since the mesh was made. */
function session_of(mesh, caller) {
  if (mesh[GENERATION] !== generation || engine === null) {
    const err = new MeshlockError('internal error in meshlock: this mesh was lost when the engine crashed; load it again', {
      code: 'internal',
    })
    if (caller) Error.captureStackTrace(err, caller)
    throw err
  }
  return mesh[SESSION]
}

/** A loaded mesh: one cluster under one set of settings. Immutable: `apply` returns a new mesh. */
class Mesh {
  /** @private use `Mesh.fromYaml`, `Mesh.seed`, `Mesh.load` or `load`. */
  constructor(session, token) {
    if (token !== SESSION) throw new TypeError('Mesh cannot be constructed directly: use Mesh.fromYaml, Mesh.seed or load')
    this[SESSION] = session
    this[GENERATION] = generation
  }

  /** Loads YAML text; `options.name` names it in diagnostics, `options.namespace` is the default namespace. */
  static fromYaml(text, options) {
    return call(Mesh.fromYaml, (wasm) => {
      if (typeof text !== 'string') throw bad_request('bad source: fromYaml takes YAML text')
      const opts = split_options(options)
      return new Mesh(wasm.Mesh.load([inline_source(text, opts)], opts.settings), SESSION)
    })
  }

  /** The guide's built-in cluster (`foo`, `bar`, `legacy`) under Istio 1.1 rules. */
  static seed() {
    return call(Mesh.seed, (wasm) => new Mesh(wasm.Mesh.load([{ builtin: 'seed' }], wasm.seedSettings()), SESSION))
  }

  /** Loads files (paths) and inline sources, in order, like several `-f` flags. */
  static load(sources, options) {
    return call(Mesh.load, (wasm) => {
      const opts = split_options(options)
      return new Mesh(wasm.Mesh.load(list(sources).flatMap((s) => path_or_inline_sources(wasm, s, opts)), opts.settings), SESSION)
    })
  }

  /** What-if: a new mesh with these resources added (same kind/namespace/name replaces). A string is YAML text. */
  apply(sources, options) {
    const session = session_of(this, this.apply)
    return call(this.apply, () => {
      const opts = split_options(options)
      return new Mesh(session.apply(list(sources).map((s) => inline_source(s, opts))), SESSION)
    })
  }

  /** `curl http://TO` from a pod of workload `from` (`namespace/name`). */
  probe(from, to) {
    const session = session_of(this, this.probe)
    return call(this.probe, () => session.probe(from, to))
  }

  /** The probe's decision chain as plain text. */
  explain(from, to) {
    const session = session_of(this, this.explain)
    return call(this.explain, () => session.explain(from, to))
  }

  /** Every client workload × every service port; with `edges`, `intents` or `metrics`, the edges in the scope with their evidence. */
  matrix(options) {
    const session = session_of(this, this.matrix)
    return call(this.matrix, () => session.matrix(weigh_input(options)))
  }

  /** Namespace × namespace: per (client namespace, service namespace) pair, the edges per outcome class and the worst; with `edges`, those in the scope. */
  namespaceMap(options) {
    const session = session_of(this, this.namespaceMap)
    return call(this.namespaceMap, () => session.namespaceMap(weigh_input(options)))
  }

  /** The matrix of the clients in `clientNs` × the service ports in `serviceNs` (`null`: every namespace on that side); with options, as `matrix()`'s. */
  matrixBetween(clientNs = null, serviceNs = null, options = null) {
    const session = session_of(this, this.matrixBetween)
    return call(this.matrixBetween, () => session.matrixBetween(clientNs ?? undefined, serviceNs ?? undefined, weigh_input(options)))
  }

  /** `matrix()` as a promise. WASM runs on the calling thread: use a worker to keep an event loop free. */
  matrixAsync() {
    return new Promise((resolve) => resolve(this.matrix()))
  }

  /** The static checker: the input's diagnostics plus the matrix-level findings. */
  check(options) {
    const session = session_of(this, this.check)
    return call(this.check, () => session.check(weigh_input(options)))
  }

  /** `check()` as a promise (computed on the calling thread). */
  checkAsync() {
    return new Promise((resolve) => resolve(this.check()))
  }

  /** `check()` as SARIF 2.1.0, for code-scanning uploads. */
  checkSarif() {
    const session = session_of(this, this.checkSarif)
    return call(this.checkSarif, () => session.checkSarif())
  }

  /** The migration stage of every service port, of each namespace and of the mesh. */
  stages() {
    const session = session_of(this, this.stages)
    return call(this.stages, () => session.stages())
  }

  /**
   * Ordered steps towards STRICT that never break a working edge, unless its client is in
   * `allowBreak`; what would break is reported as blockers with remedies. With `metrics` (a file
   * path, or `{name, text}`), observed plaintext senders hold a lock-down back too.
   */
  plan(options) {
    const session = session_of(this, this.plan)
    return call(this.plan, () => session.plan(plan_input(options)))
  }

  /** `plan()` as a promise (computed on the calling thread). */
  planAsync(options) {
    return new Promise((resolve) => resolve(this.plan(options)))
  }

  /**
   * Applies the steps in order (each deletes, then applies) and reports, after each, the edges that
   * changed, the stages and the matrix. This mesh is unchanged.
   */
  simulate(steps) {
    const session = session_of(this, this.simulate)
    return call(this.simulate, () => {
      if (!Array.isArray(steps)) throw bad_request(`bad steps: expected a list, got ${JSON.stringify(steps)}`)
      return session.simulate(steps.map(step_input))
    })
  }

  /** Readiness per service from observed traffic (a file path, or `{name, text}`), reconciled with the model. */
  ready(metrics) {
    const session = session_of(this, this.ready)
    return call(this.ready, () => session.ready(metrics_input(metrics)))
  }

  /** The matrix as a fixed-width text table. */
  matrixTable() {
    const session = session_of(this, this.matrixTable)
    return call(this.matrixTable, () => session.matrixTable())
  }

  /** The matrix as CSV. */
  matrixCsv() {
    const session = session_of(this, this.matrixCsv)
    return call(this.matrixCsv, () => session.matrixCsv())
  }

  /** The diagnostics found while loading this mesh (warnings and notes). */
  get diagnostics() {
    const session = session_of(this, null)
    return call(null, () => session.diagnostics)
  }

  /** The settings in force, and where each came from. */
  get settings() {
    const session = session_of(this, null)
    return call(null, () => session.settings)
  }
}

/** Loads files (paths) and inline sources, in order, like several `-f` flags. */
function load(sources, options) {
  return call(load, () => Mesh.load(sources, options))
}

/** `load()` as a promise (computed on the calling thread). */
function loadAsync(sources, options) {
  return new Promise((resolve) => resolve(Mesh.load(sources, options)))
}

/** Every edge whose status or transport changes from `before` to `after`, grouped, with its causes;
 * with `edges`, `intents` or `metrics` (as `check()`'s), the changes in the scope with their evidence. */
function diff(before, after, options) {
  return call(diff, (wasm) => {
    for (const [what, mesh] of [['before', before], ['after', after]]) {
      if (!(mesh instanceof Mesh)) throw bad_request(`bad \`${what}\`: expected a Mesh, got ${mesh === null ? 'null' : typeof mesh}`)
    }
    return wasm.Mesh.diff(session_of(before, diff), session_of(after, diff), weigh_input(options))
  })
}

/** Sources (file paths and inline sources) and settings, as `load()` takes them, for the engine. */
function engine_sources(wasm, sources, options) {
  const opts = split_options(options)
  return { sources: list(sources).flatMap((s) => path_or_inline_sources(wasm, s, opts)), settings: opts.settings }
}

/**
 * `engine_sources` for `check`: `{ unread }` (the diagnostics) when a file was refused before it
 * was read (past the size limit), which `check` reports as it reports YAML that does not load.
 */
function check_input(wasm, sources, options) {
  try {
    return engine_sources(wasm, sources, options)
  } catch (err) {
    if (err && err.name === 'MeshlockError' && err.code === 'invalid-input') {
      return { unread: err.diagnostics, settings: split_options(options).settings }
    }
    throw err
  }
}

/** The static checker on files and inline sources: an input that does not load is reported, not thrown.
 * `countsOnly` in the options: no per-edge lists. */
function check(sources, options) {
  return call(check, (wasm) => {
    const { countsOnly = false, ...rest } = options ?? {}
    const input = check_input(wasm, sources, rest)
    return input.unread ? wasm.checkDiagnostics(input.unread, input.settings) : wasm.checkSources(input.sources, input.settings, countsOnly)
  })
}

/** `check(sources, options)` as SARIF 2.1.0. */
function checkSarif(sources, options) {
  return call(checkSarif, (wasm) => {
    const input = check_input(wasm, sources, options)
    return input.unread ? wasm.checkDiagnosticsSarif(input.unread, input.settings) : wasm.checkSourcesSarif(input.sources, input.settings)
  })
}

/** The seed guide replayed step by step on the built-in cluster. */
function tour() {
  return call(tour, (wasm) => wasm.tour())
}

/** The guide's tour as plain text. */
function tourText() {
  return call(tourText, (wasm) => wasm.tourText())
}

/**
 * The JSON twin of every operation: JSON in, JSON out (snake_case keys, as the core writes them).
 * Only in an engine built with `--features json-twin` (the playground's build leaves it out for size).
 */
function callJson(request) {
  return call(callJson, (wasm) => {
    if (typeof wasm.callJson !== 'function') {
      throw new MeshlockError('callJson is not in this WASM build: build meshlock-wasm with `--features json-twin`, or use the native package', {
        code: 'unsupported',
      })
    }
    return wasm.callJson(request)
  })
}

/** The meshlock version of the engine. */
function version() {
  return call(version, (wasm) => wasm.version())
}

/** Test hook: makes the engine panic (to test that a crash becomes `MeshlockError` code `internal`). */
function __panicForTests() {
  return call(__panicForTests, (wasm) => wasm.__panicForTests())
}

module.exports = {
  Mesh,
  MeshlockError,
  load,
  loadAsync,
  diff,
  check,
  checkSarif,
  tour,
  tourText,
  callJson,
  version,
  __bindingTarget: 'wasm',
  __panicForTests,
}
