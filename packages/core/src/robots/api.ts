import { DingTalkError } from '../errors/base'
import type { DingTalkV1Request } from '../http/v1'
import { encodeTemplate, toTemplate } from './messages'
import type { RobotMessage, RobotTemplate } from './types'

/**
 * What a proactive send answered.
 *
 * @example
 * ```ts
 * const { processQueryKey }: RobotSendResult = await client.robots.groupSend({ openConversationId, message: 'hi' })
 * ```
 */
export interface RobotSendResult {
  /** Identifies the message for `recall` and `readStatus`. */
  processQueryKey: string
  /** DM only: recipients that are not users of the corp. */
  invalidUserIds: string[]
  /** DM only: recipients DingTalk throttled (flow control). */
  flowControlledUserIds: string[]
}

/**
 * Who read a DM batch.
 *
 * @example
 * ```ts
 * const { readers } = await client.robots.readStatus(processQueryKey)
 * ```
 */
export interface RobotReadStatus {
  sendStatus: string | undefined
  readers: { userId: string; name: string | undefined; read: boolean; readAt: number | undefined }[]
}

/**
 * The robot APIs on api.dingtalk.com (§13.7, §14.3), with the client's cached token. `robotCode` defaults
 * to the client's appKey (an internal app's robot code); messages are webhook-style ({@link RobotMessage})
 * or templates ({@link RobotTemplate}), and `msgParam` is encoded as JSON text for you.
 *
 * @example
 * ```ts
 * const { processQueryKey } = await client.robots.batchSend({ userIds: ['manager123'], message: 'Build is green' })
 * await client.robots.recall({ processQueryKeys: [processQueryKey] })
 * ```
 */
export interface RobotsApi {
  /** `POST /v1.0/robot/oToMessages/batchSend`: one message to up to 20 users in their DM with the robot. */
  batchSend(input: {
    userIds: string[]
    message: RobotMessage | RobotTemplate
    robotCode?: string
  }): Promise<RobotSendResult>
  /** `POST /v1.0/robot/groupMessages/send`: a message in a group the robot is in. */
  groupSend(input: {
    openConversationId: string
    message: RobotMessage | RobotTemplate
    robotCode?: string
  }): Promise<RobotSendResult>
  /**
   * Recalls sent messages: DM batches (`/v1.0/robot/otoMessages/batchRecall`), or group messages when
   * `openConversationId` is given (`/v1.0/robot/groupMessages/recall`).
   */
  recall(input: {
    processQueryKeys: string[]
    openConversationId?: string
    robotCode?: string
  }): Promise<{ recalled: string[]; failed: Record<string, string> }>
  /** `GET /v1.0/robot/oToMessages/readStatus`: who read a DM batch. */
  readStatus(processQueryKey: string, options?: { robotCode?: string }): Promise<RobotReadStatus>
  /** `POST /v1.0/robot/messageFiles/download`: the temporary URL of a message's file (§13.6). */
  downloadUrl(downloadCode: string, options?: { robotCode?: string }): Promise<string>
  /** The file of a robot message: its bytes, or its body as a stream with `as: 'stream'`. */
  downloadFile(downloadCode: string, options?: { robotCode?: string }): Promise<Uint8Array>
  downloadFile(
    downloadCode: string,
    options: { robotCode?: string; as: 'stream' },
  ): Promise<ReadableStream<Uint8Array>>
}

export interface RobotsApiDeps {
  requestV1<T>(req: DingTalkV1Request): Promise<T>
  fetch(input: string, init?: RequestInit): Promise<Response>
  appKey: string | undefined
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

type Raw = Record<string, unknown>

/** The robots API group of a client. */
export function createRobotsApi(deps: RobotsApiDeps): RobotsApi {
  const codeOf = (given: string | undefined): string => {
    const code = given ?? deps.appKey
    if (!code) {
      throw new DingTalkError(
        'ROBOT_CODE_MISSING',
        'Give robotCode (the client has no appKey to default to).',
      )
    }
    return code
  }
  const post = (path: string, json: unknown) => deps.requestV1<Raw>({ method: 'POST', path, json })
  const sent = (body: Raw): RobotSendResult => ({
    processQueryKey: String(body.processQueryKey ?? ''),
    invalidUserIds: strings(body.invalidStaffIdList),
    flowControlledUserIds: strings(body.flowControlledStaffIdList),
  })
  const downloadUrl = async (downloadCode: string, options?: { robotCode?: string }) => {
    const body = await post('/v1.0/robot/messageFiles/download', {
      downloadCode,
      robotCode: codeOf(options?.robotCode),
    })
    if (typeof body.downloadUrl !== 'string') {
      throw new DingTalkError('ROBOT_DOWNLOAD_FAILED', 'DingTalk answered without a downloadUrl.')
    }
    return body.downloadUrl
  }
  const download = async (downloadCode: string, options?: { robotCode?: string; as?: 'stream' }) => {
    const url = await downloadUrl(downloadCode, options)
    const response = await deps.fetch(url)
    if (!response.ok || !response.body) {
      await response.body?.cancel()
      throw new DingTalkError('ROBOT_DOWNLOAD_FAILED', `The file download answered HTTP ${response.status}.`)
    }
    return options?.as === 'stream' ? response.body : new Uint8Array(await response.arrayBuffer())
  }
  return {
    async batchSend({ userIds, message, robotCode }) {
      const wire = encodeTemplate(toTemplate(message))
      return sent(
        await post('/v1.0/robot/oToMessages/batchSend', { robotCode: codeOf(robotCode), userIds, ...wire }),
      )
    },
    async groupSend({ openConversationId, message, robotCode }) {
      const wire = encodeTemplate(toTemplate(message))
      return sent(
        await post('/v1.0/robot/groupMessages/send', {
          robotCode: codeOf(robotCode),
          openConversationId,
          ...wire,
        }),
      )
    },
    async recall({ processQueryKeys, openConversationId, robotCode }) {
      const code = codeOf(robotCode)
      const body =
        openConversationId === undefined
          ? await post('/v1.0/robot/otoMessages/batchRecall', { robotCode: code, processQueryKeys })
          : await post('/v1.0/robot/groupMessages/recall', {
              robotCode: code,
              openConversationId,
              processQueryKeys,
            })
      const failed = body.failedResult && typeof body.failedResult === 'object' ? body.failedResult : {}
      return {
        recalled: strings(body.successResult),
        failed: Object.fromEntries(Object.entries(failed).map(([k, v]) => [k, String(v)])),
      }
    },
    async readStatus(processQueryKey, options) {
      const body = await deps.requestV1<Raw>({
        method: 'GET',
        path: '/v1.0/robot/oToMessages/readStatus',
        query: { robotCode: codeOf(options?.robotCode), processQueryKey },
      })
      const list = Array.isArray(body.messageReadInfoList) ? (body.messageReadInfoList as Raw[]) : []
      return {
        sendStatus: typeof body.sendStatus === 'string' ? body.sendStatus : undefined,
        readers: list.map((r) => ({
          userId: String(r.userId ?? ''),
          name: typeof r.name === 'string' ? r.name : undefined,
          read: r.readStatus === 'READ',
          readAt: typeof r.readTimestamp === 'number' ? r.readTimestamp : undefined,
        })),
      }
    },
    downloadUrl,
    downloadFile: download as RobotsApi['downloadFile'],
  }
}
