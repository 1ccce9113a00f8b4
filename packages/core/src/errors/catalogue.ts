/**
 * What dingtalk-kit knows about one DingTalk `errcode` (reference §9.2, §4.5, §10).
 *
 * @example
 * ```ts
 * const info: ErrcodeInfo | undefined = describeErrcode(45009) // { rateLimit: true, retryable: true, … }
 * ```
 */
export interface ErrcodeInfo {
  errcode: number
  /** What the code means, in English. */
  meaning: string
  /** What to do about it. */
  action: string
  /** `true` when the SDK retries it with backoff (system busy, rate limits). */
  retryable: boolean
  /** `true` when the SDK drops the cached token, refreshes and replays the call once. */
  tokenInvalid: boolean
  /** `true` for call-frequency limits (45009, 90001–90019). */
  rateLimit: boolean
}

type Row = [code: number, meaning: string, action: string, flags?: 'retry' | 'token' | 'rate']

const NO_RETRY = 'Do not retry; fix the request.'
const BACK_OFF =
  'Back off exponentially (1 s, 2 s, 4 s…); never hammer — the egress IP can be blocked for 5 minutes.'

// §9.2, §4.5, §10; ranges are expanded below.
const rows: Row[] = [
  [-1, 'system busy', 'Wait and retry, at most 3 times.', 'retry'],
  [22, 'invalid API method name (topapi)', 'Check the API path.'],
  [
    88,
    'authentication error: inspect sub_code/sub_msg',
    'If sub_code is 40014/42001/40001 the token is refreshed and the call replayed once; other sub_codes (60011: no permission) need the app’s permissions fixed.',
  ],
  [404, 'requested URI does not exist', 'Check the API path.'],
  [33001, 'invalid corp ID', 'The token is refreshed once; if it persists, check the corpId.', 'token'],
  [
    40001,
    'wrong secret when fetching the token, or invalid access_token',
    'On gettoken: fix appSecret/corpSecret. Elsewhere the token is refreshed once.',
    'token',
  ],
  [40003, 'invalid UserID', 'Check the userid.'],
  [40004, 'invalid media file type', 'Use image, voice, video or file with a supported format.'],
  [40013, 'invalid corpid', 'Check the corpId (admin console → micro-app settings).'],
  [40014, 'invalid access_token', 'The token is refreshed and the call replayed once.', 'token'],
  [
    40029,
    'invalid oauth code (SSO code; newer DingTalk answers 40078)',
    'Request a new code on the client; codes are single-use and short-lived.',
  ],
  [40033, 'request contains \\uxxxx escaped characters', 'Send raw UTF-8 JSON (JSON.stringify does).'],
  [
    40035,
    'invalid parameter (on gettoken: no credentials at all)',
    'Fix the request; on gettoken pass appKey and appSecret (or corpId and corpSecret).',
  ],
  [
    40078,
    'temporary auth code does not exist (also a used or expired free-login/SSO code)',
    'Codes are single-use and short-lived: request a new free-login code on the client, or wait for a new tmp_auth_code push.',
  ],
  [40082, 'invalid suite token', 'Refresh the suite_access_token (needs the latest suite_ticket).'],
  [
    40085,
    'suite ticket does not exist',
    'Wait for the next suite_ticket push (every 20 minutes) or press re-push in the console.',
  ],
  [40088, 'invalid suite key or suite secret', 'Fix suiteKey/suiteSecret.'],
  [40089, 'invalid corpid or corpsecret', 'Fix the corpId/corpSecret (or appKey/appSecret).'],
  [
    40096,
    'invalid appKey or appSecret (also a secret in the wrong letter case)',
    'Compare appKey and appSecret with the developer console (凭证与基础信息); DingTalk does not say which is wrong.',
  ],
  [41001, 'missing access_token', 'SDK bug: the token was not sent.'],
  [41002, 'missing corpid', 'Pass the corpId.'],
  [41004, 'missing secret', 'Pass the secret.'],
  [41006, 'missing media_id', 'Pass the media_id.'],
  [41011, 'missing agentid', 'Pass the agentId.'],
  [42001, 'access_token expired', 'The token is refreshed and the call replayed once.', 'token'],
  [42008, 'temporary auth code expired', 'Wait for a new tmp_auth_code push.'],
  [42009, 'suite token expired', 'Refresh the suite_access_token.'],
  [43001, 'GET required', 'SDK bug: wrong method.'],
  [43002, 'POST required', 'SDK bug: wrong method.'],
  [43003, 'HTTPS required', 'Use https://oapi.dingtalk.com.'],
  [
    43004,
    'invalid HTTP header Content-Type (the FAQ writes 430004)',
    'POST JSON with Content-Type: application/json.',
  ],
  [430004, 'invalid HTTP header Content-Type', 'POST JSON with Content-Type: application/json.'],
  [43005, 'Content-Type must be application/json;charset=UTF-8', 'Send JSON as UTF-8.'],
  [43008, 'multipart request required', 'Upload with multipart/form-data.'],
  [43009, 'JSON body required', 'Send a JSON body.'],
  [44002, 'empty POST body', 'Send a body.'],
  [45001, 'media too large', 'Reduce the file size.'],
  [45002, 'message content too long', 'Shorten the message.'],
  [45009, 'API call limit exceeded', BACK_OFF, 'rate'],
  [46004, 'user does not exist', 'Check the userid.'],
  [47001, 'JSON/XML parse error', 'Send valid JSON.'],
  [48002, 'API disabled', 'Enable the API/permission for the app in the developer console.'],
  [48003, 'suite token invalid', 'Refresh the suite_access_token.'],
  [48004, 'authorisation relation invalid', 'The corp has revoked or not completed authorisation.'],
  [
    60011,
    'admin permission insufficient (user/department/agent)',
    'Grant the app the contact scope it needs.',
  ],
  [60020, 'calling IP is not in the whitelist', 'Add this server’s egress IP to the app’s whitelist.'],
  [60121, 'user not found', 'Check the userid.'],
  [90020, 'monthly API quota exceeded (metered APIs)', 'Wait for the next month or raise the quota.'],
  // --- #19 lookups, roles, approvals, attendance, to-dos, web login (DingTalk's global errcode page) ---
  [33011, 'invalid roleId', 'Check the role ids (client.roles.listGroups).'],
  [33012, 'invalid userid', 'Check the userid.'],
  [40036, 'a required parameter is empty', NO_RETRY],
  [40068, 'invalid offset', 'Offsets start at 0.'],
  [40069, 'invalid page size', 'Use a page size within the API’s maximum.'],
  [40104, 'invalid mobile number', 'Check the mobile number.'],
  [
    41041,
    'time range too long (attendance: more than 7 days)',
    'Split the range: client.attendance.iterate* or splitAttendanceQuery.',
  ],
  [41100, 'invalid time parameter', 'Send times as "yyyy-MM-dd HH:mm:ss".'],
  [43007, 'authorisation required', 'Check the access_token and the app’s permissions.'],
  [60003, 'department not found', 'Check the department id.'],
  [400002, 'invalid parameter', NO_RETRY],
  [
    820001,
    'starting the approval failed: the process code is wrong',
    'Check the process code (client.approvals.getProcessCode).',
  ],
  [820004, 'approval instance or template does not exist', 'Check the process instance id or template name.'],
  [
    820005,
    'approval instance state does not allow this',
    'The instance has already finished or been terminated.',
  ],
  [830001, 'approval template does not exist', 'Check the process code.'],
  [853001, 'signed request: timestamp is not in milliseconds', 'Send the current time in milliseconds.'],
  [853002, 'signed request: timestamp more than a minute off', 'Sync this server’s clock (NTP).'],
  [853003, 'signed request: unknown accessKey', 'Check the appKey (accessKey).'],
  [853004, 'signed request: signature mismatch', 'Check the appSecret; the signature must be URL-encoded.'],
  [
    853005,
    'signed request: DingTalk does not know the suiteTicket',
    'Sign with the latest suite_ticket pushed to the suite callback (test suites may use any ticket).',
  ],
  [
    854001,
    'duplicate to-do',
    'One to-do with the same title and form per user per day; bizId unique per user.',
  ],
  [854002, 'daily to-do limit reached', 'At most 100 to-dos per user per day.'],
  // --- end #19 ---
]

const ranges: [from: number, to: number, meaning: string, action: string, flags?: 'rate'][] = [
  [50001, 50005, 'redirect_uri not authorised / user out of scope / app or corp disabled', NO_RETRY],
  [
    52010,
    52019,
    'JSAPI config error (52011 ticket read failed, 52013 signature check failed)',
    'Check the ticket is the latest one, the URL (no #hash, decoded query), agentId and corpId.',
  ],
  [70001, 70005, 'corp dissolved / app missing / ISV activation failed', NO_RETRY],
  [
    71006,
    71013,
    'callback registration error (71009: the reply was not encrypted "success")',
    'Check the callback URL, token and aes_key.',
  ],
  [90001, 90019, 'requests temporarily disabled because of call frequency', BACK_OFF, 'rate'],
  [900001, 900010, 'callback crypto library error', 'Check token, EncodingAESKey and receive-id.'],
]

const table = new Map<number, ErrcodeInfo>()
const add = (errcode: number, meaning: string, action: string, flags?: 'retry' | 'token' | 'rate'): void => {
  table.set(errcode, {
    errcode,
    meaning,
    action,
    retryable: flags === 'retry' || flags === 'rate',
    tokenInvalid: flags === 'token',
    rateLimit: flags === 'rate',
  })
}
for (const [code, meaning, action, flags] of rows) add(code, meaning, action, flags)
for (const [from, to, meaning, action, flags] of ranges) {
  for (let code = from; code <= to; code++) if (!table.has(code)) add(code, meaning, action, flags)
}
table.set(90002, {
  ...table.get(90002)!,
  meaning: 'this server’s calls to the API are temporarily disabled (newer: global per-API rate limit)',
})
table.set(90019, { ...table.get(90019)!, meaning: 'ISV app × corp × API above 40 QPS' })
table.set(52011, {
  ...table.get(52011)!,
  meaning: 'JSAPI ticket read failed (wrong agentId, no ticket fetched, expired)',
})
table.set(52013, {
  ...table.get(52013)!,
  meaning: 'JSAPI signature check failed (ticket not the latest, or wrong signature)',
})

/**
 * The `sub_code` values under errcode 88 that mean the token is invalid (§4.5).
 *
 * @example
 * ```ts
 * TOKEN_INVALID_SUB_CODES.has('42001') // true
 * ```
 */
export const TOKEN_INVALID_SUB_CODES: ReadonlySet<string> = new Set(['40014', '42001', '40001'])

/**
 * Looks up what dingtalk-kit knows about an `errcode`: its meaning, what to do, and whether the SDK
 * retries it or refreshes the token. `undefined` for codes outside the catalogue.
 *
 * @example
 * ```ts
 * describeErrcode(60020)?.action // 'Add this server’s egress IP to the app’s whitelist.'
 * ```
 */
export function describeErrcode(errcode: number): ErrcodeInfo | undefined {
  return table.get(errcode)
}

/**
 * Every catalogued errcode, in ascending order.
 *
 * @example
 * ```ts
 * for (const info of errcodeCatalogue()) if (info.rateLimit) console.log(info.errcode)
 * ```
 */
export function errcodeCatalogue(): ErrcodeInfo[] {
  return [...table.values()].sort((a, b) => a.errcode - b.errcode)
}

/**
 * Whether a response means "the token that was sent is invalid": 40014, 42001, 40001, 33001, or 88
 * with one of those sub_codes (§4.5). The SDK then refreshes the token and replays the call once.
 *
 * @example
 * ```ts
 * isTokenInvalid(88, '40014') // true
 * isTokenInvalid(88, '60011') // false
 * ```
 */
export function isTokenInvalid(errcode: number, subCode?: string): boolean {
  if (errcode === 88) return subCode !== undefined && TOKEN_INVALID_SUB_CODES.has(subCode)
  return table.get(errcode)?.tokenInvalid === true
}

/**
 * Whether an errcode is a call-frequency limit: 45009 or 90001–90019 (§10).
 *
 * @example
 * ```ts
 * isRateLimited(90018) // true
 * ```
 */
export function isRateLimited(errcode: number): boolean {
  return table.get(errcode)?.rateLimit === true
}
