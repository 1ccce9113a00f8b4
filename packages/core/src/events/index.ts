export type {
  AnyEventHandler,
  CallbackLogger,
  EventContext,
  EventHandler,
  EventHandlers,
  EventTransport,
  SuiteCallbackClient,
  WaitUntilContext,
} from './context'
export {
  createEventDispatcher,
  type DeliveryOptions,
  type DeliveryOutcome,
  type EventDelivery,
  type EventDispatcher,
  type EventDispatcherOptions,
} from './dispatcher'
export {
  createDedupeLedger,
  type DedupeLedger,
  type DedupeLedgerOptions,
  eventIdOf,
  type LedgerClaim,
} from './ledger'
export type { EventObserver, ObservedDelivery, ObservedEvent } from './observer'
export { KNOWN_EVENT_TYPES, type ParseEventsOptions, parseEvents, typeEvent } from './parse'
export { consoleLogger, type ReportDetails, type Reporter } from './reporter'
export { parseStreamEvent, type StreamEventHeaders } from './stream'
export type {
  BpmsInstanceChangeEvent,
  BpmsTaskChangeEvent,
  ChangeAuthEvent,
  ChatEvent,
  ChatEventType,
  CheckSuiteLicenseCodeEvent,
  CheckUrlEvent,
  DeptEvent,
  DeptEventType,
  DingTalkEvent,
  DingTalkEventType,
  EventCommon,
  EventOf,
  LabelConfEvent,
  LabelConfEventType,
  LabelUserChangeEvent,
  LooseEvent,
  LooseEventType,
  MarketBuyEvent,
  MicroAppEvent,
  MicroAppEventType,
  NumberOrString,
  OrgEvent,
  OrgSuiteAuthEvent,
  ParsedEvent,
  SuiteRelieveEvent,
  SuiteTicketEvent,
  SuiteUrlCheckEvent,
  SyncHttpItem,
  TmpAuthCodeEvent,
  UnknownEvent,
  UserEvent,
  UserEventType,
} from './types'
