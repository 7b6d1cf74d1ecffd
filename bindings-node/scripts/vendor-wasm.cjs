// `npm pack` / `npm publish` (prepack): copies the WebAssembly build for Node (wasm-bindgen's
// nodejs output of the `full` build) into wasm/pkg-node/, where wasm.cjs looks first, so the
// tarball still runs where its native addon is missing or cannot load (loader.cjs falls back to it).
// Needs the WASM build: web-playground/scripts/build-wasm.sh (scripts/test-wasm runs it).
'use strict'

const fs = require('node:fs')
const path = require('node:path')

const here = path.join(__dirname, '..')
const web = path.join(here, '..', 'web-playground')
const out = path.join(here, 'wasm')
// What wasm.cjs loads at run time. The package.json of pkg-node/ pins it to CommonJS whatever the
// host project's "type" says.
const FILES = ['pkg-node/meshlock_wasm.js', 'pkg-node/meshlock_wasm_bg.wasm', 'pkg-node/package.json']

const missing = FILES.map((file) => path.join(web, file)).filter((f) => !fs.existsSync(f))
if (missing.length > 0) {
  console.error(
    `vendor-wasm: the WebAssembly build is missing (${missing.join(', ')}).\n` +
      '  Build it first: sh web-playground/scripts/build-wasm.sh (or ./scripts/test-wasm, which installs its tools).',
  )
  process.exit(1)
}
// Start empty: a file left from an older build must not ship.
fs.rmSync(out, { recursive: true, force: true })
for (const file of FILES) {
  fs.mkdirSync(path.dirname(path.join(out, file)), { recursive: true })
  fs.copyFileSync(path.join(web, file), path.join(out, file))
}
console.error(`vendor-wasm: copied the WebAssembly build into ${path.relative(process.cwd(), out) || '.'}/`)
