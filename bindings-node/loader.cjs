// The package's CommonJS entry: one JS API over two engines. The native addon (index.js, generated
// by @napi-rs/cli and drift-checked, so not edited by hand) or the WebAssembly build (wasm.cjs,
// which wraps it in the same API): the addon when it loads, the WebAssembly build where it is
// missing. MESHLOCK_IMPL=native or MESHLOCK_IMPL=wasm forces one (the test suites run each;
// `native` never falls back). The generated loader's message blames npm's optional-dependency bug,
// which is not the cause here: this package ships one addon, built from source with `npm run build`,
// so on any other platform (or in an unbuilt clone) the addon is simply absent.
'use strict'

const IMPLS = ['native', 'wasm']
const forced = process.env.MESHLOCK_IMPL || null
if (forced !== null && !IMPLS.includes(forced)) {
  throw new Error(`meshlock: MESHLOCK_IMPL must be one of ${IMPLS.join(', ')} (or unset: native, else wasm), got \`${forced}\``)
}

function nativeMissing(cause) {
  return /Cannot find native binding|Failed to load native binding/.test(String(cause && cause.message))
}

function notBuilt(cause) {
  const error = new Error(
    `meshlock: the native addon for ${process.platform}-${process.arch} is not built in ${__dirname}, nor the WebAssembly build.\n` +
      '  In a clone of meshlock: cd bindings-node && npm install && npm run build (needs Rust; writes meshlock.*.node),\n' +
      '  then install that folder (npm install path/to/bindings-node) or the tarball of `npm pack` run there\n' +
      '  (which also carries the WebAssembly build, used where the addon is missing).',
  )
  error.code = 'MESHLOCK_NATIVE_NOT_BUILT'
  error.cause = cause
  return error
}

if (forced === 'wasm') {
  module.exports = require('./wasm.cjs')
} else {
  try {
    module.exports = require('./index.js')
  } catch (cause) {
    if (forced === 'native' || !nativeMissing(cause)) {
      throw cause
    }
    try {
      module.exports = require('./wasm.cjs')
    } catch (missing) {
      throw missing.code === 'MESHLOCK_WASM_NOT_BUILT' ? notBuilt(cause) : missing
    }
    // Once per process (this module is cached, and index.mjs goes through it too); stderr so that a
    // program's stdout stays its own.
    process.stderr.write(
      `meshlock: no native addon for ${process.platform}-${process.arch}; using the WebAssembly build (slower, same results)\n`,
    )
  }
}
