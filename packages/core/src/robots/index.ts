export type { RobotReadStatus, RobotSendResult, RobotsApi } from './api'
export {
  createRobotRoute,
  type RobotRouteOptions,
  signRobotRequest,
  verifyRobotRequest,
} from './http-mode'
export { encodeTemplate, toTemplate, toWebhookBody } from './messages'
export { parseCardCallback, parseRobotMessage, robotDeliveryId } from './parse'
export type { ReplyDeps } from './reply'
export type {
  CardCallbackEvent,
  CardCallbackResponse,
  RobotAt,
  RobotConversation,
  RobotMessage,
  RobotMessageContent,
  RobotMessageEvent,
  RobotReplyResult,
  RobotRichTextPart,
  RobotSender,
  RobotTemplate,
} from './types'
export {
  type SendToWebhookOptions,
  sendToWebhook,
  signWebhook,
  signWebhookUrl,
} from './webhook'
