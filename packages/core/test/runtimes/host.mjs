// Serves a Workers-style module (`export default { fetch(request, env, ctx) }`) on 127.0.0.1 with a free
// port on Node, Bun or Deno, and prints `{"port":N}` as its first stdout line. Started by harness.ts as
// `<runtime> host.mjs <module file URL>`; the env object comes as JSON in RUNTIME_HARNESS_ENV. workerd needs
// no host: harness.ts writes it a config instead.
const moduleUrl = globalThis.Deno ? globalThis.Deno.args[0] : globalThis.process.argv[2]
const envJson = globalThis.Deno
  ? globalThis.Deno.env.get('RUNTIME_HARNESS_ENV')
  : globalThis.process.env.RUNTIME_HARNESS_ENV
const env = JSON.parse(envJson ?? '{}')
const app = (await import(moduleUrl)).default
const ctx = { waitUntil: () => {}, passThroughOnException: () => {} }

async function handle(request) {
  try {
    return await app.fetch(request, env, ctx)
  } catch (error) {
    return new Response(`host: the module's fetch threw ${error?.stack ?? error}`, { status: 500 })
  }
}

function listening(port) {
  console.log(JSON.stringify({ port }))
}

if (globalThis.Bun) {
  const server = globalThis.Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: handle })
  listening(server.port)
} else if (globalThis.Deno) {
  globalThis.Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: ({ port }) => listening(port) }, handle)
} else {
  const { createServer } = await import('node:http')
  const server = createServer(async (req, res) => {
    const chunks = []
    for await (const chunk of req) chunks.push(chunk)
    const headers = new Headers()
    for (const [name, value] of Object.entries(req.headers)) {
      for (const v of Array.isArray(value) ? value : [value ?? '']) headers.append(name, v)
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
    const request = new Request(`http://${req.headers.host ?? '127.0.0.1'}${req.url}`, {
      method: req.method,
      headers,
      ...(hasBody ? { body: Buffer.concat(chunks) } : {}),
    })
    const response = await handle(request)
    const out = [...response.headers].filter(([name]) => name !== 'set-cookie')
    for (const cookie of response.headers.getSetCookie()) out.push(['set-cookie', cookie])
    res.writeHead(response.status, out.flat())
    res.end(Buffer.from(await response.arrayBuffer()))
  })
  server.listen(0, '127.0.0.1', () => listening(server.address().port))
}
