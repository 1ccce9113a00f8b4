export { type IsvSignatureInput, isvSignedQuery, signIsvRequest } from './isv'
export {
  buildDdConfig,
  type DdConfig,
  type DdConfigInput,
  type JsapiAlgorithm,
  type JsapiSignInput,
  normalizeJsapiUrl,
  signJsapi,
} from './jsapi'
