import { createClientCore, type DingTalkClient, type DingTalkClientOptions } from '../client'
import type { ClientObservers } from '../http/observer'
import { requireId, type SuiteContext, suiteKeyOf } from './context'
import type { SuiteClient } from './types'

/** One full client per authorised corp, on that corp's cached token (store keys: suiteKey and corpId). */
export interface CorpClients {
  get(corpId: string): DingTalkClient
  /** Forgets the corp's client and its cached token and ticket (a new or void permanent code). */
  forget(corpId: string): Promise<void>
}

export function corpClients(
  ctx: SuiteContext,
  parts: {
    getCorpToken: SuiteClient['getCorpToken']
    agentIdOf: (corpId: string) => Promise<number | undefined>
    options: DingTalkClientOptions
    /** Shared with the suite client: observing either observes every corp client. */
    observers?: ClientObservers
  },
): CorpClients {
  const clients = new Map<string, DingTalkClient>()
  return {
    get(corpId) {
      requireId(corpId, 'corpId')
      let client = clients.get(corpId)
      if (client === undefined) {
        const identity = {
          owner: ctx.suiteKey,
          appKey: undefined,
          corpId,
          keyCorpId: corpId,
          secrets: [],
          fetchAccessToken: async () => {
            const token = await parts.getCorpToken(corpId)
            return { value: token.accessToken, expiresIn: token.expiresIn }
          },
          agentId: () => parts.agentIdOf(corpId),
          observers: parts.observers,
        }
        client = createClientCore(identity, parts.options)
        clients.set(corpId, client)
      }
      return client
    },
    async forget(corpId) {
      clients.delete(corpId)
      await ctx.store.delete(suiteKeyOf(ctx, 'access_token', corpId))
      await ctx.store.delete(suiteKeyOf(ctx, 'jsapi_ticket', corpId))
    },
  }
}
