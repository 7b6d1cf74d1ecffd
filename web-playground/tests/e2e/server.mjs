// A static file server for the built site (dist/), on 127.0.0.1 only, for the end-to-end tests and
// scripts/playground. No dependencies; `.wasm` is served as application/wasm (streaming compile).
import { createReadStream, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { extname, join, normalize, resolve, sep } from 'node:path'

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
}

/** Serves `root` on 127.0.0.1:`port` (0: any free port); resolves to `{ url, close }`. */
export function serve(root, port = 0) {
  const base = resolve(root)
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname)
    let file = normalize(join(base, path))
    if (file !== base && !file.startsWith(base + sep)) {
      res.writeHead(403).end()
      return
    }
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html')
      statSync(file)
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
      return
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    })
    createReadStream(file).pipe(res)
  })
  return new Promise((ok, fail) => {
    server.once('error', fail)
    server.listen(port, '127.0.0.1', () => {
      const { port: actual } = server.address()
      ok({ url: `http://127.0.0.1:${actual}/`, close: () => new Promise((done) => server.close(() => done())) })
    })
  })
}

// `node tests/e2e/server.mjs DIR PORT`: serve until interrupted.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir = 'dist', port = '4173'] = process.argv.slice(2)
  const { url } = await serve(dir, Number(port))
  console.log(`meshlock playground: ${url}  (Ctrl-C to stop)`)
}
