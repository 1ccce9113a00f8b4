import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createDingTalkRoutes } from '../src/routes/routes'
import { runAdapterConformance } from '../src/testing/conformance'

// The reference adapter: the core routes on bare node:http, passing the unread request stream.
runAdapterConformance('node:http', async ({ prefix, ...options }) => {
  const routes = createDingTalkRoutes(options)
  const server = createServer(async (req, res) => {
    const url = req.url ?? '/'
    const path = url.split('?', 1)[0]!
    const inside = path === prefix || path.startsWith(`${prefix}/`)
    const reply = inside
      ? await routes.handle({
          method: req.method ?? '',
          path: path.slice(prefix.length),
          url,
          headers: req.headers,
          body: req,
        })
      : undefined
    if (!reply) {
      req.resume()
      res.writeHead(404).end()
      return
    }
    res.writeHead(reply.status, reply.headers).end(reply.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
})
