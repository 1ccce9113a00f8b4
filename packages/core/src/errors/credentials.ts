import { type CredentialName, DingTalkApiError, DingTalkCredentialsError } from './request-errors'

/** Which credentials a token call sends: an app's appKey/appSecret, a corp's corpId/corpSecret, or a suite's. */
export type CredentialStyle = 'app' | 'corp' | 'suite'

const PAIRS: Record<CredentialStyle, [id: CredentialName, secret: CredentialName]> = {
  app: ['appKey', 'appSecret'],
  corp: ['corpId', 'corpSecret'],
  suite: ['suiteKey', 'suiteSecret'],
}

// §4.2, §4.4, §9.2: which credential each errcode of a token call points at. DingTalk's newer answers
// (40096, 40035, and 40089 for a wrong corpSecret) do not say which of the two is wrong, so both are named.
function rejected(errcode: number, style: CredentialStyle): CredentialName[] | undefined {
  const [id, secret] = PAIRS[style]
  if (style === 'suite') {
    if (errcode === 40088) return [id, secret]
    if (errcode === 853003) return [id]
    if (errcode === 853004) return [secret]
    return undefined
  }
  switch (errcode) {
    case 40001:
    case 41004:
      return [secret]
    case 40035:
    case 40089:
    case 40096:
      return [id, secret]
    case 40013:
    case 33001:
    case 41002:
      return [id]
    default:
      return undefined
  }
}

/**
 * Internal: the error of a failed token call (`gettoken`, `service/get_suite_token`, the signed
 * `service/get_corp_token`) as a {@link DingTalkCredentialsError} naming the credentials DingTalk rejected,
 * or `error` itself when it is not a rejection of the credentials.
 */
export function credentialsErrorOf(error: unknown, style: CredentialStyle): unknown {
  if (!(error instanceof DingTalkApiError) || error instanceof DingTalkCredentialsError) return error
  const credentials = rejected(error.errcode, style)
  if (credentials === undefined) return error
  return new DingTalkCredentialsError({
    errcode: error.errcode,
    errmsg: error.errmsg,
    subCode: error.subCode,
    subMsg: error.subMsg,
    requestId: error.requestId,
    request: error.request,
    attempts: error.attempts,
    credentials,
  })
}
