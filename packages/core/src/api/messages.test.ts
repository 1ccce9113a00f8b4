import { describe, expect, it } from 'vitest'
import { type Message, message, toWireMessage } from './messages'

describe('message builders and the §8.2 wire shape', () => {
  it('maps every type to DingTalk spelling', () => {
    const cases: [Message, Record<string, unknown>][] = [
      [message.text('hi'), { msgtype: 'text', text: { content: 'hi' } }],
      [message.image('@m'), { msgtype: 'image', image: { media_id: '@m' } }],
      [message.voice('@v', 12), { msgtype: 'voice', voice: { media_id: '@v', duration: '12' } }],
      [message.file('@f'), { msgtype: 'file', file: { media_id: '@f' } }],
      [
        message.link({ messageUrl: 'https://a', picUrl: '@p', title: 't', text: 'x' }),
        { msgtype: 'link', link: { messageUrl: 'https://a', picUrl: '@p', title: 't', text: 'x' } },
      ],
      [
        message.oa({
          messageUrl: 'https://a',
          head: { bgcolor: 'FFBBBBBB' },
          body: { content: '内容', fileCount: 2 },
        }),
        {
          msgtype: 'oa',
          oa: {
            message_url: 'https://a',
            head: { bgcolor: 'FFBBBBBB' },
            body: { content: '内容', file_count: '2' },
          },
        },
      ],
      [message.markdown('t', '# x'), { msgtype: 'markdown', markdown: { title: 't', text: '# x' } }],
      [
        message.actionCard({ title: 't', markdown: 'm', singleTitle: '查看', singleUrl: 'https://a' }),
        {
          msgtype: 'action_card',
          action_card: { title: 't', markdown: 'm', single_title: '查看', single_url: 'https://a' },
        },
      ],
      [
        message.actionCard({
          title: 't',
          markdown: 'm',
          buttons: [{ title: 'a', actionUrl: 'https://a' }],
          buttonOrientation: 'vertical',
        }),
        {
          msgtype: 'action_card',
          action_card: {
            title: 't',
            markdown: 'm',
            btn_orientation: '0',
            btn_json_list: [{ title: 'a', action_url: 'https://a' }],
          },
        },
      ],
    ]
    for (const [msg, wire] of cases) expect(toWireMessage(msg)).toEqual(wire)
  })

  it('rejects an unknown type', () => {
    expect(() => toWireMessage({ type: 'video' } as unknown as Message)).toThrow(/Unknown message type/)
  })
})
