export {
  createDingTalkRoutes,
  type DingTalkRoutes,
  type DingTalkRoutesOptions,
  type JsapiRouteOptions,
  type RouteRequest,
  type RouteResponse,
  type SuiteCallbackRouteOptions,
} from './routes'
