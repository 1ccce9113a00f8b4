import type { Internals } from './context'
import type { Emulator } from './emulator-types'
import type { PushResult } from './pusher'
import type { PushManager } from './pushes'
import type { RequestLogEntry } from './request-log'
import { issueCode } from './routes/auth'
import { type EmulatorState, grantAuthorization } from './state'

/** `count`, and the helpers that change tokens and tickets under a test's feet. */
export function tokenControls(
  state: EmulatorState,
  now: () => number,
  log: RequestLogEntry[],
): Pick<Emulator, 'count' | 'expireTokens' | 'invalidateToken' | 'isTicketValid'> {
  return {
    count(path) {
      const wanted = path.startsWith('/') ? path : `/${path}`
      return log.filter((e) => e.path === wanted).length
    },
    expireTokens(filter) {
      const past = now() - 1
      let n = 0
      for (const token of state.tokens.values()) {
        const match =
          typeof filter === 'function'
            ? filter(token)
            : (filter?.kind === undefined || filter.kind === token.kind) &&
              (filter?.corpId === undefined || filter.corpId === token.corpId) &&
              (filter?.appKey === undefined || filter.appKey === token.appKey) &&
              (filter?.suiteKey === undefined || filter.suiteKey === token.suiteKey)
        if (match && token.expiresAt > past) {
          token.expiresAt = past
          n++
        }
      }
      return n
    },
    invalidateToken(token) {
      return state.tokens.delete(token)
    },
    isTicketValid(ticket) {
      const record = state.tickets.get(ticket)
      return !!record && state.currentTickets.get(record.owner) === ticket && record.expiresAt > now()
    },
  }
}

/** What a user, an admin or DingTalk itself does: codes, authorisations, pushes. */
export function actorControls(
  internals: Internals,
  pushes: PushManager,
): Pick<
  Emulator,
  'issueAuthCode' | 'issueSsoCode' | 'authorize' | 'pushSuiteTicket' | 'emitCorpEvent' | 'idle'
> {
  const { state } = internals
  return {
    issueAuthCode(corpId, userid) {
      return issueCode(internals, 'app', corpId, userid)
    },
    issueSsoCode(corpId, userid) {
      return issueCode(internals, 'sso', corpId, userid)
    },
    async authorize(corpId, suiteKey) {
      const suite = state.suites.get(suiteKey)
      if (!suite) throw new Error(`unknown suiteKey ${suiteKey}`)
      const org = state.orgs.get(corpId)
      if (!org) throw new Error(`unknown corpId ${corpId}`)
      if (suite.pushStyle === 'syncHttp') {
        const auth = grantAuthorization(state, corpId, suiteKey)
        const push = pushes.orgSuiteAuth(suite, auth)
        if (push) await push.done
        return { permanentCode: auth.permanentCode, ...(push ? { push } : {}) }
      }
      const authCode = internals.newTmpAuthCode(corpId, suiteKey)
      const push = pushes.tmpAuthCode(suite, authCode)
      if (push) await push.done
      return { authCode, ...(push ? { push } : {}) }
    },
    async pushSuiteTicket(suiteKey) {
      const suites = suiteKey === undefined ? [...state.suites.values()] : [state.suites.get(suiteKey)]
      const results: PushResult[] = []
      for (const suite of suites) {
        if (!suite) throw new Error(`unknown suiteKey ${suiteKey}`)
        const push = pushes.suiteTicket(suite)
        if (push) results.push(await push.done)
      }
      return results
    },
    async emitCorpEvent(corpId, eventType, fields = {}) {
      const push = pushes.corpEvent(corpId, eventType, fields)
      return push ? await push.done : undefined
    },
    idle() {
      return pushes.idle()
    },
  }
}
