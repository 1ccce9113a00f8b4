import { asNumber, asRecord, asString } from '../api/context'
import { DingTalkSuiteError } from '../errors/suite'
import { requireId, type SuiteContext, suiteKeyOf } from './context'
import type { CorpAuthorization } from './types'

/** A stored authorisation: the JSON record, or (older entries) the bare permanent code. */
export function parseAuthorization(raw: string | undefined): CorpAuthorization | undefined {
  if (raw === undefined || raw === '') return undefined
  try {
    const data = asRecord(JSON.parse(raw))
    const permanentCode = asString(data.permanentCode)
    if (permanentCode === '') return undefined
    return { permanentCode, agentId: asNumber(data.agentId), corpName: asString(data.corpName) || undefined }
  } catch {
    return { permanentCode: raw }
  }
}

/** The permanent codes of the corps that authorised the suite, kept durably in the store (§4.3). */
export interface Authorizations {
  read(corpId: string): Promise<CorpAuthorization | undefined>
  /** The corp's record, or {@link DingTalkSuiteError} `CORP_NOT_AUTHORIZED`. */
  require(corpId: string): Promise<CorpAuthorization>
  write(corpId: string, record: CorpAuthorization): Promise<void>
  remove(corpId: string): Promise<void>
}

export function authorizations(ctx: SuiteContext): Authorizations {
  const key = (corpId: string): string => suiteKeyOf(ctx, 'permanent_code', corpId)
  const read = async (corpId: string): Promise<CorpAuthorization | undefined> => {
    const record = parseAuthorization(await ctx.store.get(key(corpId)))
    if (record) ctx.redactor.remember(record.permanentCode)
    return record
  }
  return {
    read,
    async require(corpId) {
      requireId(corpId, 'corpId')
      const record = await read(corpId)
      if (record === undefined) {
        throw new DingTalkSuiteError('CORP_NOT_AUTHORIZED', {
          suiteKey: ctx.suiteKey,
          corpId,
          message: `No permanent code stored for corp ${corpId} and suite ${ctx.suiteKey}: the corp has not authorised the suite (or relieved it).`,
        })
      }
      return record
    },
    write: (corpId, record) => ctx.store.set(key(corpId), JSON.stringify(record)),
    remove: (corpId) => ctx.store.delete(key(corpId)),
  }
}
