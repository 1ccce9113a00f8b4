export { type DrainableServer, type DrainOptions, drainServer } from './drain'
export { addEventMethod, type EventMethodBinding } from './event-method'
export type { FailureLimit } from './limiter'
export {
  answerNodeRequest,
  installBodyHeadersAside,
  type NodeFrameworkRequest,
  type NodeRequestHook,
  nodeRouteRequest,
  type ResponseWriter,
  setBodyHeadersAside,
  writeHeaders,
  writeRouteResponse,
} from './node-request'
export {
  type CallbackSource,
  createDingTalkRoutes,
  type DingTalkRoutes,
  type DingTalkRoutesOptions,
  type JsapiRouteOptions,
  type RouteRequest,
  type RouteResponse,
  type SuiteCallbackRouteOptions,
} from './routes'
export {
  DINGTALK_ROUTES,
  type DingTalkRoute,
  type DingTalkRouteName,
  normalizePrefix,
  pathUnder,
  routeBySuffix,
} from './table'
export { handleWebLogin, type WebLoginRouteOptions } from './web-login'
export { lazyWaitUntil, webRequestBody } from './web-request'
