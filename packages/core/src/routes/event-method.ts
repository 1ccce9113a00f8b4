import type { EventHandler } from '../events/context'
import type { DingTalkEventType } from '../events/types'
import type { SuiteClient } from '../suite/suite-client'
import type { CallbackSource, DingTalkRoutes } from './routes'

/**
 * What a framework's decorator records on an event method (NestJS' `@OnDingTalkEvent()`): the event types it
 * handles and the callback routes it listens on.
 *
 * @example
 * ```ts
 * const binding: EventMethodBinding = { types: ['user_add_org'], from: ['callback', 'suiteCallback'] }
 * ```
 */
export interface EventMethodBinding {
  /** The event types the method handles. */
  types: readonly DingTalkEventType[]
  /** The callback routes it listens on (the suite's events are those for its suiteKey). */
  from: readonly CallbackSource[]
}

/**
 * Adds `method`, bound to `instance`, to the routes' pipeline for each of the binding's event types from its
 * callback routes: what an adapter does with a method its decorator marked. When none of those routes is
 * configured and no other transport feeds the pipeline (`otherTransport`: a Stream client sharing it), the
 * method could never run: it is left out, `warn` is told why, and the result is `false`.
 *
 * @example
 * ```ts
 * const added = addEventMethod(routes, contacts, contacts.added, { types: ['user_add_org'], from: ['callback'] }, {
 *   warn: (problem) => console.warn(`Contacts.added: ${problem}`), // "no callback configured"
 * })
 * ```
 */
export function addEventMethod<L>(
  routes: Pick<DingTalkRoutes<L>, 'on' | CallbackSource>,
  instance: object,
  method: (...args: never[]) => unknown,
  { types, from }: EventMethodBinding,
  options: { warn(problem: string): void; otherTransport?: boolean },
): boolean {
  if (!options.otherTransport && !from.some((source) => routes[source])) {
    options.warn(`no ${from.join(' or ')} configured`)
    return false
  }
  const handler = method.bind(instance) as EventHandler<DingTalkEventType, SuiteClient, L>
  for (const type of types) routes.on(type, handler, { from })
  return true
}
