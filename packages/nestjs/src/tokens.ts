import type * as core from '@dingtalk-kit/core'
import type { StreamClient } from '@dingtalk-kit/stream'

// Each token is an abstract class merged with the core interface: one name is both the injection token and
// the type, so `@Inject(DingTalkClient) client: DingTalkClient` (or, with emitDecoratorMetadata, the type
// alone) injects the value given in the module options. No instance of these classes is ever created.

/**
 * The corp app client given as `client` in the module options (`undefined` when none was given).
 *
 * @example
 * ```ts
 * @Injectable()
 * export class Directory {
 *   constructor(@Inject(DingTalkClient) private readonly client: DingTalkClient) {}
 *   user(userid: string) {
 *     return this.client.contacts.users.get(userid)
 *   }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: a token class typed as the core interface
export abstract class DingTalkClient {}
export interface DingTalkClient extends core.DingTalkClient {}

/**
 * The ISV suite client given as `suiteClient` in the module options (`undefined` when none was given).
 *
 * @example
 * ```ts
 * constructor(@Inject(DingTalkSuiteClient) private readonly suite: DingTalkSuiteClient) {}
 * listUsers(corpId: string) {
 *   return this.suite.forCorp(corpId).contacts.users.list({ deptId: 1 })
 * }
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: a token class typed as the core interface
export abstract class DingTalkSuiteClient {}
export interface DingTalkSuiteClient extends core.SuiteClient {}

/**
 * The store behind the client (else the suite client): tokens, tickets, permanent codes. `undefined` when
 * the options have neither.
 *
 * @example
 * ```ts
 * constructor(@Inject(DingTalkStore) private readonly store: DingTalkStore) {}
 * remember(key: string, value: string) {
 *   return this.store.set(`myapp:${key}`, value, 60_000)
 * }
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: a token class typed as the core interface
export abstract class DingTalkStore {}
export interface DingTalkStore extends core.Store {}

/**
 * The routes the module mounts (`createDingTalkRoutes` of the core), with the callback handlers: add
 * handlers with `.callback?.on()` when a decorator does not fit.
 *
 * @example
 * ```ts
 * constructor(@Inject(DingTalkRoutes) routes: DingTalkRoutes) {
 *   routes.callback?.onAny((event) => this.audit.record(event.EventType))
 * }
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: a token class typed as the core interface
export abstract class DingTalkRoutes {}
export interface DingTalkRoutes extends core.DingTalkRoutes {}

/**
 * The Stream client the module runs when `stream` is configured (`undefined` otherwise): its `stats()`,
 * `onCallback()` for robot messages and card callbacks, `idle()`.
 *
 * @example
 * ```ts
 * constructor(@Inject(DingTalkStream) stream: DingTalkStream) {
 *   stream.onCallback(TOPIC_ROBOT, (message) => this.bot.answer(message))
 * }
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: a token class typed as the stream interface
export abstract class DingTalkStream {}
export interface DingTalkStream extends StreamClient<core.SuiteClient> {}
