/**
 * What a robot message carries, by `msgtype` (§13.6). Media carry a `downloadCode` to exchange with
 * `client.robots.downloadFile` (prefer it over `pictureDownloadCode`, §13.6).
 *
 * @example
 * ```ts
 * function describe(content: RobotMessageContent): string {
 *   return content.type === 'text' ? content.text : `a ${content.type}`
 * }
 * ```
 */
export type RobotMessageContent =
  | { type: 'text'; text: string }
  | { type: 'markdown'; title: string | undefined; text: string }
  | { type: 'picture'; downloadCode: string }
  | { type: 'file'; downloadCode: string; fileName: string | undefined }
  | { type: 'audio'; downloadCode: string; duration: number | undefined; recognition: string | undefined }
  | { type: 'video'; downloadCode: string; duration: number | undefined; videoType: string | undefined }
  | { type: 'richText'; parts: RobotRichTextPart[] }
  | { type: 'unknown'; msgtype: string }

/**
 * One part of a `richText` robot message: text, or a picture to download.
 *
 * @example
 * ```ts
 * const part: RobotRichTextPart = { type: 'text', text: 'see the picture' }
 * ```
 */
export type RobotRichTextPart = { type: 'text'; text: string } | { type: 'picture'; downloadCode: string }

/**
 * Who wrote a robot message (§13.6).
 *
 * @example
 * ```ts
 * const sender: RobotSender = { userId: 'manager123', dingtalkId: '$:LWCP_v1:$abc', nick: '张三', corpId: 'ding1', isAdmin: false }
 * ```
 */
export interface RobotSender {
  /** The sender's userid in the robot's corp (`senderStaffId`); missing for users of another corp. */
  userId: string | undefined
  /** The sender's encrypted DingTalk id (`senderId`). */
  dingtalkId: string
  nick: string
  corpId: string | undefined
  isAdmin: boolean
}

/**
 * Where a robot message was written: a one-to-one chat with the robot (`dm`, `conversationType` "1") or a
 * group (`group`, "2"). `id` is the `openConversationId` that `client.robots.groupSend` takes.
 *
 * @example
 * ```ts
 * const where: RobotConversation = { type: 'group', id: 'cidEmuGroup1', title: 'Team' }
 * ```
 */
export interface RobotConversation {
  type: 'dm' | 'group'
  id: string
  title: string | undefined
}

/**
 * A message to post to a session webhook or a custom robot's webhook, in DingTalk's own body shapes
 * (text, markdown, actionCard, link, feedCard); a plain string is a text message.
 *
 * @example
 * ```ts
 * const message: RobotMessage = { msgtype: 'markdown', markdown: { title: 'Build', text: '**green**' } }
 * ```
 */
export type RobotMessage =
  | string
  | { msgtype: 'text'; text: { content: string }; at?: RobotAt }
  | { msgtype: 'markdown'; markdown: { title: string; text: string }; at?: RobotAt }
  | {
      msgtype: 'actionCard'
      actionCard: {
        title: string
        text: string
        singleTitle?: string
        singleURL?: string
        btnOrientation?: '0' | '1'
        btns?: { title: string; actionURL: string }[]
      }
    }
  | { msgtype: 'link'; link: { title: string; text: string; messageUrl: string; picUrl?: string } }
  | { msgtype: 'feedCard'; feedCard: { links: { title: string; messageURL: string; picURL: string }[] } }

/**
 * Who a text or markdown message @-mentions.
 *
 * @example
 * ```ts
 * const at: RobotAt = { atUserIds: ['manager123'] }
 * ```
 */
export interface RobotAt {
  atUserIds?: string[]
  atMobiles?: string[]
  isAtAll?: boolean
}

/**
 * A proactive robot message as the v1.0 API takes it: a template key and its parameters. dingtalk-kit
 * encodes `msgParam` as the JSON text DingTalk requires (§14.3).
 *
 * @example
 * ```ts
 * const template: RobotTemplate = { msgKey: 'sampleMarkdown', msgParam: { title: 'Build', text: '**green**' } }
 * ```
 */
export type RobotTemplate =
  | { msgKey: 'sampleText'; msgParam: { content: string } }
  | { msgKey: 'sampleMarkdown'; msgParam: { title: string; text: string } }
  | { msgKey: 'sampleImageMsg'; msgParam: { photoURL: string } }
  | { msgKey: 'sampleLink'; msgParam: { text: string; title: string; messageUrl: string; picUrl?: string } }
  | {
      msgKey: 'sampleActionCard'
      msgParam: { title: string; text: string; singleTitle: string; singleURL: string }
    }
  | {
      msgKey: 'sampleActionCard2' | 'sampleActionCard3' | 'sampleActionCard4' | 'sampleActionCard5'
      msgParam: Record<string, string>
    }
  | { msgKey: 'sampleFile'; msgParam: { mediaId: string; fileName: string; fileType: string } }
  | { msgKey: 'sampleAudio'; msgParam: { mediaId: string; duration: string } }
  | {
      msgKey: 'sampleVideo'
      msgParam: { duration: string; videoMediaId: string; videoType: string; picMediaId: string }
    }

/**
 * How {@link RobotMessageEvent.reply} delivered: through the session webhook, or proactively after the
 * session expired (`batchSend` in a DM, `groupSend` in a group, with DingTalk's `processQueryKey`).
 *
 * @example
 * ```ts
 * const sent: RobotReplyResult = await message.reply('pong')
 * if (sent.via !== 'sessionWebhook') console.log('session expired; sent proactively', sent.processQueryKey)
 * ```
 */
export type RobotReplyResult =
  | { via: 'sessionWebhook' }
  | { via: 'batchSend' | 'groupSend'; processQueryKey: string }

/**
 * `robot_message`: someone wrote to the robot — in a DM, or @-mentioning it in a group (§13.6). The same
 * event whichever transport delivered it: Stream (`/v1.0/im/bot/messages/get`) or HTTP mode (§14.1).
 * `reply()` answers in the conversation.
 *
 * @example
 * ```ts
 * stream.on('robot_message', async (message) => {
 *   if (message.conversation.type === 'group' && !message.isInAtList) return
 *   await message.reply(`you said: ${message.text}`)
 * })
 * ```
 */
export interface RobotMessageEvent {
  EventType: 'robot_message'
  /** The business id: de-duplication key across redeliveries and transports (§13.4). */
  msgId: string
  /** The robot's code (an internal app's appKey). */
  robotCode: string
  content: RobotMessageContent
  /** The text of the message, trimmed: text or markdown, richText's text parts, audio's recognition; else `''`. */
  text: string
  sender: RobotSender
  conversation: RobotConversation
  /** Who the message @-mentions (`staffId` only for users of the robot's corp). */
  atUsers: { dingtalkId: string; staffId: string | undefined }[]
  /** Whether the robot was @-mentioned (always true for group messages DingTalk delivers, §13.6). */
  isInAtList: boolean
  /** Where to post the answer (`https://oapi.dingtalk.com/robot/sendBySession?session=…`). */
  sessionWebhook: string | undefined
  /** Epoch ms after which the session webhook no longer works. */
  sessionWebhookExpiredTime: number | undefined
  /** Epoch ms the message was written. */
  createAt: number | undefined
  chatbotCorpId: string | undefined
  chatbotUserId: string | undefined
  /**
   * Answers in the conversation: posts to the session webhook; once it has expired (by its expiry time or
   * by DingTalk's answer), sends proactively (DM `batchSend`, group `groupSend`) with the dispatcher's client.
   */
  reply(message: RobotMessage): Promise<RobotReplyResult>
}

/**
 * `card_callback`: a button or input of an interactive card was used (§13.6). The handler's return value is
 * the card update sent back in the ACK (`{ response }`, §13.3): a {@link CardCallbackResponse}.
 *
 * @example
 * ```ts
 * stream.on('card_callback', (card): CardCallbackResponse => ({
 *   cardData: { cardParamMap: { status: `${card.action} by ${card.userId}` } },
 * }))
 * ```
 */
export interface CardCallbackEvent {
  EventType: 'card_callback'
  /** The card instance's id. */
  outTrackId: string
  /** The first of `actionIds`: which button was pressed. */
  action: string | undefined
  actionIds: string[]
  /** The action's parameters (`cardPrivateData.params`). */
  params: Record<string, unknown>
  userId: string
  corpId: string | undefined
  spaceId: string | undefined
  spaceType: string | undefined
  /** `extension`, parsed from its JSON text (`undefined` when absent or not an object). */
  extension: Record<string, unknown> | undefined
  /** `content`, parsed from its JSON text. */
  content: unknown
}

/**
 * The card update a `card_callback` handler returns (§13.3).
 *
 * @example
 * ```ts
 * const update: CardCallbackResponse = { cardUpdateOptions: { updateCardDataByKey: true }, cardData: { cardParamMap: { done: 'true' } } }
 * ```
 */
export interface CardCallbackResponse {
  cardUpdateOptions?: { updateCardDataByKey?: boolean; updatePrivateDataByKey?: boolean }
  cardData?: { cardParamMap: Record<string, string> }
  userPrivateData?: { cardParamMap: Record<string, string> }
}
