// The package's second engine: the WebAssembly build (web-playground/wasm with `--features full`),
// which exports the native addon's names and signatures. What the host must do is here, and nothing
// per method (the engine's exports are wrapped by iterating over them):
// - files: the engine reads a string source (a path) through `node:fs`, installed with
//   `setHostFiles`, so paths, directories and the size limit mean what they mean natively;
// - errors: what the engine throws (`name: 'MeshlockError'`, `.code`, `.diagnostics`) becomes this
//   module's `MeshlockError` class; a panic aborts the instance (wasm32 has no unwinding) and
//   surfaces as a `WebAssembly.RuntimeError`: it becomes code `internal`, the next call loads a
//   fresh engine, and meshes made by the crashed one throw `internal` when used;
// - `…Async` variants are the engine's promises (computed on the calling thread: no threads here);
//   whatever they throw is a rejection, as natively.
// loader.cjs chooses this engine when the native addon is missing, or when MESHLOCK_IMPL=wasm.
'use strict'

const fs = require('node:fs')
const path = require('node:path')

// In a clone of meshlock, where web-playground/scripts/build-wasm.sh writes it (first: a copy that an
// earlier `npm pack` left in wasm/ may be stale); in the package, where `npm pack` copied it
// (scripts/vendor-wasm.cjs).
const ENGINE = [path.join(__dirname, '..', 'web-playground', 'pkg-node'), path.join(__dirname, 'wasm', 'pkg-node')]
  .map((dir) => path.join(dir, 'meshlock_wasm.js'))
  .find((file) => fs.existsSync(file))

if (ENGINE === undefined) {
  const error = new Error(
    `meshlock: the WebAssembly engine is not built (no wasm/pkg-node/ in ${__dirname}).\n` +
      '  In a clone of meshlock: sh web-playground/scripts/build-wasm.sh (or ./scripts/test-wasm, which installs its tools).',
  )
  error.code = 'MESHLOCK_WASM_NOT_BUILT'
  throw error
}

/** The host's files, as the engine asks for them (`HostFiles` in web-playground/wasm/src/types.d.ts). */
const HOST_FILES = {
  stat(file) {
    const stat = fs.statSync(file)
    return { isDir: stat.isDirectory(), isFile: stat.isFile(), size: stat.size }
  },
  readDir: (dir) => fs.readdirSync(dir),
  // Bytes, never 'utf8': the engine decodes them as the CLI does (UTF-16, byte order marks).
  read: (file) => fs.readFileSync(file),
}

/** The engine's exports that are not the API: consumed here (`setHostFiles`), run by the engine
 * itself when it loads (`start`), and wasm-bindgen's glue (`__wb…`). */
const HOST_ONLY = new Set(['setHostFiles', 'start'])
const passedOn = (name) => !HOST_ONLY.has(name) && !name.startsWith('__wb')

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

/** The engine instance, loaded afresh after a crash. */
function current() {
  if (engine === null) {
    delete require.cache[ENGINE]
    engine = require(ENGINE)
    engine.setHostFiles(HOST_FILES)
    generation += 1
  }
  return engine
}

/** An error from the engine (or a crash of it) as a `MeshlockError`; other errors pass through. */
function convert(err, caller) {
  let converted = null
  if (err instanceof MeshlockError) {
    converted = err
  } else if (err && err.name === 'MeshlockError') {
    converted = new MeshlockError(err.message, { code: err.code, diagnostics: err.diagnostics })
  } else if (err instanceof Error && /^expected instance of \w+$/.test(err.message)) {
    // wasm-bindgen's check of a class argument (`diff` takes meshes).
    converted = new MeshlockError(`bad argument: ${err.message}`, { code: 'bad-request' })
  } else if (err instanceof WebAssembly.RuntimeError) {
    engine = null // the instance is in an unknown state
    converted = new MeshlockError(`internal error in meshlock (please report it): ${err.message}`)
  }
  if (converted === null) return err
  Error.captureStackTrace(converted, caller)
  return converted
}

const INNER = Symbol('engine mesh')
const GENERATION = Symbol('engine generation')

/** A loaded mesh: one cluster under one set of settings. Immutable: `apply` returns a new mesh. */
class Mesh {
  /** @private use `Mesh.fromYaml`, `Mesh.seed`, `Mesh.load` or `load`. */
  constructor(inner, token) {
    if (token !== INNER) throw new TypeError('Mesh cannot be constructed directly: use Mesh.fromYaml, Mesh.seed or load')
    this[INNER] = inner
    this[GENERATION] = generation
  }
}

/** The engine's value for an argument (a `Mesh`: its engine mesh, unless the engine crashed since). */
function unwrap(value) {
  if (!(value instanceof Mesh)) return value
  if (value[GENERATION] !== generation || engine === null) {
    throw new MeshlockError('internal error in meshlock: this mesh was lost when the engine crashed; load it again')
  }
  return value[INNER]
}

/** A result for the caller: engine meshes wrapped, promises settled with wrapped values or errors. */
function wrap(value, caller) {
  if (value instanceof Promise) {
    return value.then(
      (settled) => wrap(settled, caller),
      (err) => {
        throw convert(err, caller)
      },
    )
  }
  return engine !== null && value instanceof engine.Mesh ? new Mesh(value, INNER) : value
}

/**
 * A wrapper of the engine's `name` on `owner(engine, this)`: a call, or for a getter (`get`) a read;
 * named `name`, and where error stacks start.
 */
function wrapper(name, owner, get = false) {
  const async = name.endsWith('Async')
  const self = function (...args) {
    try {
      const target = owner(current(), this)
      return wrap(get ? target[name] : target[name](...args.map(unwrap)), self)
    } catch (err) {
      const converted = convert(err, self)
      if (async) return Promise.reject(converted)
      throw converted
    }
  }
  Object.defineProperty(self, 'name', { value: name })
  return self
}

// Every export of the engine, as the engine has them (the full build has the native addon's).
const loaded = current()
const meshPart = (_, mesh) => unwrap(mesh)
for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(loaded.Mesh.prototype))) {
  if (name === 'constructor' || name === 'free' || name.startsWith('__')) continue
  if (descriptor.get) {
    Object.defineProperty(Mesh.prototype, name, { get: wrapper(name, meshPart, true), configurable: true })
  } else {
    const method = wrapper(name, meshPart)
    Object.defineProperty(Mesh.prototype, name, { value: method, writable: true, configurable: true })
  }
}
for (const name of Object.getOwnPropertyNames(loaded.Mesh)) {
  if (typeof loaded.Mesh[name] === 'function' && !name.startsWith('__')) {
    Mesh[name] = wrapper(name, (wasm) => wasm.Mesh)
  }
}

const api = { Mesh, MeshlockError }
for (const name of Object.keys(loaded)) {
  if (typeof loaded[name] === 'function' && !(name in api) && passedOn(name)) {
    api[name] = wrapper(name, (wasm) => wasm)
  }
}

module.exports = api
