/**
 * The key and secret an app authenticates with by itself: an internal app's AppKey/AppSecret, a third-party
 * suite's SuiteKey/SuiteSecret (Stream mode's `clientId`/`clientSecret`, §13.1).
 *
 * @example
 * ```ts
 * const credentials: AppCredentials = { clientId: appKey, clientSecret: appSecret }
 * ```
 */
export interface AppCredentials {
  clientId: string
  clientSecret: string
}

// Kept beside the client rather than on it: the secret is no property of the client object, so nothing
// that serialises or logs a client carries it.
const registry = new WeakMap<object, AppCredentials>()

/** Internal: records what a client was created with (createDingTalkClient with an appKey, createSuiteClient). */
export function rememberAppCredentials(client: object, credentials: AppCredentials): void {
  registry.set(client, credentials)
}

/**
 * The AppKey/AppSecret a client was created with (`createDingTalkClient({ appKey, appSecret })`), or the
 * SuiteKey/SuiteSecret of a suite client: what a transport that authenticates with the app's own secret
 * (Stream mode) connects with. `undefined` for a corpId/corpSecret client, a corp client of a suite, or any
 * other value.
 *
 * @example
 * ```ts
 * const client = createDingTalkClient({ appKey, appSecret })
 * appCredentialsOf(client) // { clientId: appKey, clientSecret: appSecret }
 * ```
 */
export function appCredentialsOf(client: object | undefined): AppCredentials | undefined {
  return client === undefined ? undefined : registry.get(client)
}
