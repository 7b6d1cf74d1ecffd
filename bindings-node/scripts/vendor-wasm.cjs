// `npm pack` / `npm publish` (prepack): copies the WebAssembly build for Node into wasm/, so the
// tarball still runs where its native addon is missing or cannot load (loader.cjs falls back to it).
// The adapter is copied as it is, never rewritten: wasm/node/index.cjs loads ../pkg-node/ exactly as
// web-playground/node/index.cjs does, so the same relative layout is kept under wasm/.
// Needs the WASM build: web-playground/scripts/build-wasm.sh (scripts/test-wasm runs it).
'use strict'

const fs = require('node:fs')
const path = require('node:path')

const here = path.join(__dirname, '..')
const web = path.join(here, '..', 'web-playground')
const out = path.join(here, 'wasm')
// What the adapter loads at run time: its CommonJS entry, and the wasm-bindgen (nodejs) output.
// The package.json of pkg-node/ pins it to CommonJS whatever the host project's "type" says.
const FILES = [
  ['node/index.cjs', 'node/index.cjs'],
  ['pkg-node/meshlock_wasm.js', 'pkg-node/meshlock_wasm.js'],
  ['pkg-node/meshlock_wasm_bg.wasm', 'pkg-node/meshlock_wasm_bg.wasm'],
  ['pkg-node/package.json', 'pkg-node/package.json'],
]

const missing = FILES.map(([from]) => path.join(web, from)).filter((f) => !fs.existsSync(f))
if (missing.length > 0) {
  console.error(
    `vendor-wasm: the WebAssembly build is missing (${missing.join(', ')}).\n` +
      '  Build it first: sh web-playground/scripts/build-wasm.sh (or ./scripts/test-wasm, which installs its tools).',
  )
  process.exit(1)
}
// Start empty: a file left from an older build must not ship.
fs.rmSync(out, { recursive: true, force: true })
for (const [from, to] of FILES) {
  fs.mkdirSync(path.dirname(path.join(out, to)), { recursive: true })
  fs.copyFileSync(path.join(web, from), path.join(out, to))
}
console.error(`vendor-wasm: copied the WebAssembly build into ${path.relative(process.cwd(), out) || '.'}/`)
