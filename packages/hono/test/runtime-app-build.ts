// The conformance app the runtime tests serve: built from the setup the suite passes, its handlers' log at
// /__conformance/log. Imported by the bundled entries (runtime-app.ts builds it on the first request;
// workers-global.test.ts writes an entry that builds it at module scope, as users write a Worker).
import { Hono } from 'hono'
import {
  type ConformanceLog,
  type ConformanceSetup,
  conformanceRoutesOptions,
} from '../../core/src/testing/conformance-options'
import { dingtalk } from '../src/index'

export function buildConformanceApp(setup: ConformanceSetup): Hono {
  const log: ConformanceLog = { events: [], errors: [] }
  const { prefix, ...options } = conformanceRoutesOptions(setup, log)
  const built = new Hono()
  built.get('/__conformance/log', (c) => c.json(log))
  return built.route(prefix, dingtalk(options))
}
