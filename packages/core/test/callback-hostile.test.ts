import { afterAll, beforeAll, describe } from 'vitest'
import { createCallbackHandler, memoryStore } from '../src/index'
import { type HostileTarget, hostileCorpusTests } from '../src/testing/vitest'
import { AES_KEY, CORP_ID, type HandlerServer, serveHandler, TOKEN } from './callback-helpers'

// The corpus lives in src/testing/hostile.ts, shared with the adapters' conformance suite.
describe('hostile callbacks over real HTTP (callback-security R6)', () => {
  const errors: string[] = []
  const handled: string[] = []
  const handler = createCallbackHandler({
    token: TOKEN,
    aesKey: AES_KEY,
    receiveId: CORP_ID,
    store: memoryStore(),
    onError: (error) => void errors.push(error.code),
  })
  handler.onAny((event) => void handled.push(event.EventType))
  let server: HandlerServer
  let target: HostileTarget

  beforeAll(async () => {
    server = await serveHandler(handler)
    target = {
      url: server.url,
      secrets: { token: TOKEN, aesKey: AES_KEY, receiveId: CORP_ID },
      handled: () => handled.length,
      errors: () => errors,
    }
  })
  afterAll(async () => {
    await handler.idle()
    await server.close()
  })

  hostileCorpusTests(() => target)
})
