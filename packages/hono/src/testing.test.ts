import { Hono } from 'hono'
import { expect, it } from 'vitest'
import { dingtalk } from './index'
import { callbackRequest } from './testing'

it('callbackRequest builds a request the sub-app accepts, and a wrong token is rejected', async () => {
  const secrets = {
    token: 't0k3n',
    aesKey: 'Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7',
    receiveId: 'dingcorp',
  }
  const dt = dingtalk({ callback: secrets })
  const seen: string[][] = []
  dt.onEvent('user_add_org', (c) => void seen.push(c.get('dingtalkEvent').UserId))
  const app = new Hono().route('/dingtalk', dt)
  const event = { EventType: 'user_add_org', UserId: ['u1'], CorpId: 'dingcorp' }
  expect((await app.request(await callbackRequest({ ...secrets, event }))).status).toBe(200)
  expect(seen).toEqual([['u1']])
  expect((await app.request(await callbackRequest({ ...secrets, token: 'other', event }))).status).toBe(401)
})
