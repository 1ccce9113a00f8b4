import { redisStore } from '@dingtalk-kit/redis'
import { type RedisServer, startRedisServer } from '@dingtalk-kit/redis/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOPIC_ROBOT } from '../src/index'
import { type Harness, harness, until } from './helpers'

let server: RedisServer
let h: Harness
const connections: Redis[] = []

beforeAll(async () => {
  server = await startRedisServer()
  h = await harness()
})
afterAll(async () => {
  await h?.close()
  for (const c of connections) c.disconnect()
  await server?.stop()
})

describe('robot messages on two instances sharing a real redis-server', () => {
  it('a message redelivered to the other instance is handled and replied to once', async () => {
    const handled: string[] = []
    for (const name of ['a', 'b']) {
      const redis = new Redis(server.url)
      connections.push(redis)
      const stream = h.client({ store: redisStore({ client: redis, keyPrefix: `robots:${process.pid}:` }) })
      stream.on('robot_message', async (message) => {
        handled.push(`${name}:${message.msgId}`)
        await message.reply(`handled by ${name}`)
      })
      await stream.start()
    }
    await h.emu.stream.waitForConnections(2)
    const dm = h.emu.robot.dm('lisi')
    const first = await h.emu.robot.say(dm, 'once please')
    // DingTalk pushes each delivery to one random connection: redeliver until both instances got the message.
    const used = new Set(h.emu.stream.deliveries.map((d) => d.attempts[0]?.connectionId))
    for (let i = 0; i < 40 && used.size < 2; i++) {
      const again = h.emu.stream.callback(String(first.data.robotCode), TOPIC_ROBOT, first.data)
      expect((await again.done).ok).toBe(true)
      used.add(again.attempts[0]?.connectionId)
    }
    expect(used.size).toBe(2)
    await Promise.all(h.clients.map((c) => c.idle()))
    await until(() => h.emu.robot.replies(dm).length >= 1, 'the reply')
    expect(handled).toHaveLength(1)
    expect(h.emu.robot.replies(dm)).toHaveLength(1)
  })
})
