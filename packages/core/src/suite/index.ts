export { CORPID_PLACEHOLDER, corpIdFromRequest, homePageUrl } from './corp-id'
export {
  type CorpAuthorization,
  type CorpTokenMode,
  createSuiteClient,
  type PermanentCodeResult,
  type SuiteAgent,
  type SuiteAuthInfo,
  type SuiteClient,
  type SuiteClientOptions,
  type SuiteCredentials,
} from './suite-client'
