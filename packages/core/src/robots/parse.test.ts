import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { signRobotRequest, verifyRobotRequest } from './http-mode'
import { encodeTemplate, toTemplate } from './messages'
import { parseCardCallback, parseRobotMessage, robotDeliveryId } from './parse'
import { signWebhook, signWebhookUrl } from './webhook'

const base = {
  msgId: 'msgA',
  conversationId: 'cid1',
  conversationType: '2',
  conversationTitle: 'Team',
  robotCode: 'dingrobot',
  senderId: '$:LWCP_v1:$x',
  senderStaffId: 'lisi',
  senderNick: '李四',
  senderCorpId: 'ding1',
  isAdmin: false,
  isInAtList: true,
  atUsers: [{ dingtalkId: '$:LWCP_v1:$robot' }, { dingtalkId: '$:LWCP_v1:$z', staffId: 'zhangsan' }],
  sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=s1',
  sessionWebhookExpiredTime: 1700000000000,
  createAt: '1699999990000',
}

describe('parseRobotMessage (§13.6)', () => {
  it('types a group text message: sender, conversation, @-mentions, session webhook', () => {
    const { event } = parseRobotMessage(
      JSON.stringify({ ...base, msgtype: 'text', text: { content: ' hi ' } }),
    )
    expect(event).toMatchObject({
      EventType: 'robot_message',
      msgId: 'msgA',
      text: 'hi',
      content: { type: 'text', text: ' hi ' },
      conversation: { type: 'group', id: 'cid1', title: 'Team' },
      sender: { userId: 'lisi', nick: '李四', corpId: 'ding1', isAdmin: false },
      atUsers: [
        { dingtalkId: '$:LWCP_v1:$robot', staffId: undefined },
        { dingtalkId: '$:LWCP_v1:$z', staffId: 'zhangsan' },
      ],
      isInAtList: true,
      sessionWebhookExpiredTime: 1700000000000,
      createAt: 1699999990000,
    })
    expect(typeof (event as { reply?: unknown }).reply).toBe('function')
    expect(JSON.parse(JSON.stringify(event))).not.toHaveProperty('reply')
  })

  it.each([
    ['picture', { downloadCode: 'dc1', pictureDownloadCode: 'p1' }, { type: 'picture', downloadCode: 'dc1' }],
    [
      'file',
      { downloadCode: 'dc2', fileName: 'a.pdf' },
      { type: 'file', downloadCode: 'dc2', fileName: 'a.pdf' },
    ],
    [
      'audio',
      { downloadCode: 'dc3', duration: 4000, recognition: '你好' },
      { type: 'audio', downloadCode: 'dc3', duration: 4000, recognition: '你好' },
    ],
    [
      'video',
      { downloadCode: 'dc4', videoType: 'mp4' },
      { type: 'video', downloadCode: 'dc4', videoType: 'mp4' },
    ],
    [
      'richText',
      { richText: [{ text: 'see ' }, { pictureDownloadCode: 'p5', type: 'picture' }, { text: 'this' }] },
      {
        type: 'richText',
        parts: [
          { type: 'text', text: 'see ' },
          { type: 'picture', downloadCode: 'p5' },
          { type: 'text', text: 'this' },
        ],
      },
    ],
    ['markdown', { title: 'T', text: '**b**' }, { type: 'markdown', title: 'T', text: '**b**' }],
  ])('types %s content', (msgtype, content, expected) => {
    const { event } = parseRobotMessage({ ...base, conversationType: '1', msgtype, content })
    expect(event).toMatchObject({
      EventType: 'robot_message',
      content: expected,
      conversation: { type: 'dm' },
    })
  })

  it('gives the text of audio (recognition) and richText (its text parts)', () => {
    const audio = parseRobotMessage({ ...base, msgtype: 'audio', content: { recognition: ' 语音 ' } }).event
    const rich = parseRobotMessage({
      ...base,
      msgtype: 'richText',
      content: { richText: [{ text: 'a' }, { text: 'b' }] },
    }).event
    expect(audio).toMatchObject({ text: '语音' })
    expect(rich).toMatchObject({ text: 'ab' })
  })

  it('never throws: bad data is an unknown event', () => {
    expect(parseRobotMessage('{not json').event).toMatchObject({
      EventType: 'unknown',
      reason: 'data is not JSON',
    })
    expect(parseRobotMessage({ msgtype: 'text' }).event).toMatchObject({
      EventType: 'unknown',
      rawEventType: 'robot_message',
    })
    expect(parseRobotMessage([1]).event.EventType).toBe('unknown')
  })

  it('is de-duplicated on msgId', () => {
    expect(robotDeliveryId(parseRobotMessage({ ...base, msgtype: 'text', text: { content: 'x' } }))).toBe(
      'robot:msgA',
    )
  })
})

describe('parseCardCallback (§13.6)', () => {
  it('parses content and extension from their JSON text', () => {
    const parsed = parseCardCallback({
      outTrackId: 'card1',
      userId: 'u1',
      corpId: 'ding1',
      spaceType: 'IM',
      extension: '{"a":1}',
      content: '{"cardPrivateData":{"actionIds":["approve","x"],"params":{"id":7}}}',
    })
    expect(parsed.event).toMatchObject({
      EventType: 'card_callback',
      outTrackId: 'card1',
      action: 'approve',
      actionIds: ['approve', 'x'],
      params: { id: 7 },
      userId: 'u1',
      corpId: 'ding1',
      spaceType: 'IM',
      extension: { a: 1 },
    })
    expect(robotDeliveryId(parsed)).toMatch(/^card:card1:u1:/)
  })

  it('an action without content has no action and empty params; no outTrackId is unknown', () => {
    expect(parseCardCallback({ outTrackId: 'c', userId: 'u' }).event).toMatchObject({
      action: undefined,
      params: {},
    })
    expect(parseCardCallback({ userId: 'u' }).event.EventType).toBe('unknown')
  })
})

describe('signatures', () => {
  it('HTTP-mode robot sign matches the §14.1 vector and node:crypto', () => {
    expect(signRobotRequest('robotAppSecretExample', 1700000000000)).toBe(
      'LcmML43wfqDtiiGm/P4jBAiGTw27lFv0BGwPMtORBeM=',
    )
    const reference = createHmac('sha256', 's3cret').update('123\ns3cret').digest('base64')
    expect(signRobotRequest('s3cret', '123')).toBe(reference)
  })

  it('verifyRobotRequest: within one hour either way, exact sign, headers required', () => {
    const t = 1700000000000
    const headers = (ts: number) => ({ timestamp: String(ts), sign: signRobotRequest('k', ts) })
    expect(verifyRobotRequest(headers(t), 'k', t)).toBe(true)
    expect(verifyRobotRequest(headers(t - 3_600_000), 'k', t)).toBe(true)
    expect(verifyRobotRequest(headers(t + 3_600_000), 'k', t)).toBe(true)
    expect(verifyRobotRequest(headers(t - 3_600_001), 'k', t)).toBe(false)
    expect(verifyRobotRequest(headers(t + 3_600_001), 'k', t)).toBe(false)
    expect(verifyRobotRequest(headers(t), 'other', t)).toBe(false)
    expect(verifyRobotRequest({ timestamp: String(t) }, 'k', t)).toBe(false)
    expect(verifyRobotRequest({ timestamp: 'abc', sign: 'x' }, 'k', t)).toBe(false)
    expect(verifyRobotRequest(undefined, 'k', t)).toBe(false)
  })

  it('custom robot sign matches the §14.2 vector, URL-encoded in the URL', () => {
    expect(signWebhook('SECexampleWebhookSecret', 1700000000000)).toBe(
      's4UxclK7nROqJS2ORK7yAFQgBkIpRcJVXOECdv6/jjw=',
    )
    expect(
      signWebhookUrl(
        'https://oapi.dingtalk.com/robot/send?access_token=abc',
        'SECexampleWebhookSecret',
        1700000000000,
      ),
    ).toBe(
      'https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1700000000000&sign=s4UxclK7nROqJS2ORK7yAFQgBkIpRcJVXOECdv6%2Fjjw%3D',
    )
  })
})

describe('message templates (§14.3)', () => {
  it('maps webhook-style messages to templates and encodes msgParam as JSON text', () => {
    expect(encodeTemplate(toTemplate('hi'))).toEqual({ msgKey: 'sampleText', msgParam: '{"content":"hi"}' })
    expect(toTemplate({ msgtype: 'markdown', markdown: { title: 't', text: 'x' } })).toEqual({
      msgKey: 'sampleMarkdown',
      msgParam: { title: 't', text: 'x' },
    })
    expect(
      toTemplate({
        msgtype: 'actionCard',
        actionCard: {
          title: 't',
          text: 'x',
          btns: [
            { title: 'A', actionURL: 'u1' },
            { title: 'B', actionURL: 'u2' },
          ],
        },
      }),
    ).toEqual({
      msgKey: 'sampleActionCard2',
      msgParam: {
        title: 't',
        text: 'x',
        actionTitle1: 'A',
        actionURL1: 'u1',
        actionTitle2: 'B',
        actionURL2: 'u2',
      },
    })
    expect(() => toTemplate({ msgtype: 'feedCard', feedCard: { links: [] } })).toThrow(
      /feedCard message cannot be sent proactively/,
    )
  })
})
