import 'reflect-metadata'
import type { CallbackSource, DingTalkEventType, EventHandler, EventMethodBinding } from '@dingtalk-kit/core'

const EVENTS = 'dingtalk-kit:on-event'

/**
 * Which callback route's events a method receives: the corp app's (`callback`) or the ISV suite's.
 *
 * @example
 * ```ts
 * const from: DingTalkEventSource[] = ['suiteCallback']
 * ```
 */
export type DingTalkEventSource = CallbackSource

/**
 * Options of {@link OnDingTalkEvent}.
 *
 * @example
 * ```ts
 * @OnDingTalkEvent('suite_relieve', { from: ['suiteCallback'] })
 * ```
 */
export interface OnDingTalkEventOptions {
  /** The callback routes to listen on (default both: the corp app's and the ISV suite's). */
  from?: readonly DingTalkEventSource[]
}

/**
 * A method that handles the events `K`; a returned promise is awaited before the callback is answered.
 *
 * @example
 * ```ts
 * const onAdded: DingTalkEventMethod<'user_add_org'> = (event) => console.log(event.UserId)
 * ```
 */
export type DingTalkEventMethod<K extends DingTalkEventType> = EventHandler<K>

/**
 * What {@link OnDingTalkEvent} records on a method: the core's `EventMethodBinding`, event types and callback
 * routes, as `addEventMethod` takes it.
 *
 * @example
 * ```ts
 * const binding: DingTalkEventBinding = { types: ['user_add_org'], from: ['callback', 'suiteCallback'] }
 * ```
 */
export interface DingTalkEventBinding extends EventMethodBinding {}

/**
 * Makes a provider method handle DingTalk callback events of the given type(s). Methods are found when the
 * application starts (on every static provider and controller) and typed by the event: the first parameter is
 * `EventOf<K>`, the second the core's `EventContext`. The callback is answered once the method resolved (or
 * when the reply deadline nears; see the callback options); a method that throws makes DingTalk push again.
 *
 * @param type The event type, or several.
 * @param options Which callback routes to listen on (default both).
 * @example
 * ```ts
 * @Injectable()
 * export class ContactsSync {
 *   @OnDingTalkEvent('user_add_org')
 *   async added(event: EventOf<'user_add_org'>) {
 *     for (const userid of event.UserId) await this.directory.fetch(userid)
 *   }
 *
 *   @OnDingTalkEvent(['org_dept_create', 'org_dept_modify'])
 *   departments(event: EventOf<'org_dept_create' | 'org_dept_modify'>) {
 *     this.log.log(`${event.EventType}: ${event.DeptId.join(',')}`)
 *   }
 * }
 * ```
 */
export function OnDingTalkEvent<K extends DingTalkEventType>(
  type: K | readonly K[],
  { from = ['callback', 'suiteCallback'] }: OnDingTalkEventOptions = {},
): (target: object, key: string | symbol, descriptor: { value?: DingTalkEventMethod<K> }) => void {
  const binding: DingTalkEventBinding = { types: typeof type === 'string' ? [type] : [...type], from }
  return (_target, _key, { value: method }) => {
    if (typeof method !== 'function') throw new TypeError('@OnDingTalkEvent() decorates methods only')
    Reflect.defineMetadata(EVENTS, [...dingTalkEventBindings(method), binding], method)
  }
}

/**
 * The bindings {@link OnDingTalkEvent} recorded on a method (empty when none).
 *
 * @example
 * ```ts
 * dingTalkEventBindings(ContactsSync.prototype.added) // [{ types: ['user_add_org'], from: [...] }]
 * ```
 */
export function dingTalkEventBindings(method: object): readonly DingTalkEventBinding[] {
  return (Reflect.getMetadata(EVENTS, method) as DingTalkEventBinding[] | undefined) ?? []
}
