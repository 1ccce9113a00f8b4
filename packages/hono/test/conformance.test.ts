import type { AddressInfo } from 'node:net'
import { runAdapterConformance } from '@dingtalk-kit/core/vitest'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { dingtalk } from '../src/index'

function listen(app: Hono): Promise<{ url: string; close(): Promise<void> }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            if ('closeAllConnections' in server) server.closeAllConnections()
            server.close(() => done())
          }),
      })
    })
  })
}

runAdapterConformance('hono sub-app on @hono/node-server', async ({ prefix, ...options }) =>
  listen(new Hono().route(prefix, dingtalk(options))),
)

runAdapterConformance('hono middleware on @hono/node-server', async (options) => {
  const app = new Hono()
  app.use(dingtalk(options).middleware())
  app.get('*', (c) => c.text('the app’s own route', 404))
  return listen(app)
})
