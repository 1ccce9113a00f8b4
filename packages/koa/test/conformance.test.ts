import { runAdapterConformance } from '@dingtalk-kit/core/vitest'
import Router from '@koa/router'
import Koa from 'koa'
import { dingtalk } from '../src/index'
import { runKoaConformance } from '../src/vitest'
import { bodySetups, serve } from './helpers'

// A parser that keeps the raw text is needed to reject repeated JSON keys (R6 item 10), so koa-body runs
// with includeUnparsed here; test/body.test.ts shows what plain koa-body can and cannot see.
for (const setup of bodySetups.filter((s) => s.rawText)) {
  runKoaConformance(`koa, middleware(), ${setup.name}`, (middleware) => {
    const app = new Koa()
    // Body parsers throw on broken JSON; Koa answers 400 and would log each one.
    app.silent = true
    setup.install(app)
    return app.use(middleware)
  })
}

runAdapterConformance('koa, router() nested in a @koa/router router, @koa/bodyparser', async (options) => {
  const app = new Koa()
  app.silent = true
  bodySetups.find((s) => s.name === '@koa/bodyparser')!.install(app)
  const [, first, ...rest] = options.prefix.split('/')
  const parent = new Router()
  parent.use(
    `/${first}`,
    dingtalk({ ...options, prefix: rest.join('/') })
      .router()
      .routes(),
  )
  app.use(parent.routes()).use(parent.allowedMethods())
  return serve(app)
})
