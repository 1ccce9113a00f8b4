import 'reflect-metadata'
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { generateAesKey } from '@dingtalk-kit/emulator'
import { DingTalkModule } from '@dingtalk-kit/nestjs'
import {
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  type INestApplication,
  Module,
  Post,
  Query,
  UnauthorizedException,
} from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { compareCallbackRoutes, loadCallback, type Run } from './callback-load'
import type { BenchOptions, Comparison } from './lib'

type Platform = 'express' | 'fastify'

const token = 'bench-nest-token'
const aesKey = generateAesKey()
const receiveId = 'dingbenchnest'
const PATH = '/dingtalk/callback'

interface EncryptedReply {
  msg_signature: string
  timeStamp: string
  nonce: string
  encrypt: string
}

/** The hand-written route's work: verify, decrypt, check the receive-id, encrypted `success` (§1.2–§1.7). */
function verifyAndReply(query: Record<string, unknown>, body: unknown): EncryptedReply {
  const key = Buffer.from(`${aesKey}=`, 'base64')
  const iv = key.subarray(0, 16)
  const sign = (...parts: string[]): string => createHash('sha1').update(parts.sort().join('')).digest('hex')
  const signature = query.signature ?? query.msg_signature
  const timestamp = query.timestamp ?? query.timeStamp
  const { nonce } = query
  const encrypt = (body as { encrypt?: unknown } | undefined)?.encrypt
  if (typeof signature !== 'string' || typeof timestamp !== 'string' || typeof nonce !== 'string') {
    throw new BadRequestException()
  }
  if (typeof encrypt !== 'string') throw new BadRequestException()
  const expected = Buffer.from(sign(token, timestamp, nonce, encrypt))
  const given = Buffer.from(signature)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new UnauthorizedException()
  const decipher = createDecipheriv('aes-256-cbc', key, iv).setAutoPadding(false)
  const plain = Buffer.concat([decipher.update(encrypt, 'base64'), decipher.final()])
  const unpadded = plain.subarray(0, plain.length - plain[plain.length - 1]!)
  const length = unpadded.readUInt32BE(16)
  if (unpadded.subarray(20 + length).toString('utf8') !== receiveId) throw new UnauthorizedException()
  JSON.parse(unpadded.subarray(20, 20 + length).toString('utf8'))
  const message = Buffer.concat([
    randomBytes(16),
    Buffer.alloc(4),
    Buffer.from('success'),
    Buffer.from(receiveId),
  ])
  message.writeUInt32BE(7, 16)
  const padding = 32 - (message.length % 32)
  const cipher = createCipheriv('aes-256-cbc', key, iv).setAutoPadding(false)
  const sealed = Buffer.concat([
    cipher.update(Buffer.concat([message, Buffer.alloc(padding, padding)])),
    cipher.final(),
  ])
  const replyEncrypt = sealed.toString('base64')
  const timeStamp = String(Date.now())
  const replyNonce = randomBytes(8).toString('hex')
  return {
    msg_signature: sign(token, timeStamp, replyNonce, replyEncrypt),
    timeStamp,
    nonce: replyNonce,
    encrypt: replyEncrypt,
  }
}

// Decorators as calls: this file is compiled by tsx with the bench's tsconfig (no experimental decorators).
class HandWrittenController {
  callback(query: Record<string, unknown>, body: unknown): EncryptedReply {
    return verifyAndReply(query, body)
  }
}
const handWrittenPrototype = HandWrittenController.prototype
Controller('dingtalk')(HandWrittenController)
Post('callback')(
  handWrittenPrototype,
  'callback',
  Object.getOwnPropertyDescriptor(handWrittenPrototype, 'callback')!,
)
HttpCode(200)(
  handWrittenPrototype,
  'callback',
  Object.getOwnPropertyDescriptor(handWrittenPrototype, 'callback')!,
)
Query()(handWrittenPrototype, 'callback', 0)
Body()(handWrittenPrototype, 'callback', 1)

class HandWrittenModule {}
Module({ controllers: [HandWrittenController] })(HandWrittenModule)

class AdapterModule {}
Module({ imports: [DingTalkModule.forRoot({ callback: { token, aesKey, receiveId } })] })(AdapterModule)

async function load(platform: Platform, module: unknown, durationS: number): Promise<Run> {
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter()
  const app: INestApplication = await NestFactory.create(module as never, adapter, {
    logger: false,
    abortOnError: false,
  })
  try {
    await app.listen(0, '127.0.0.1')
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1')
    return await loadCallback(url + PATH, { token, aesKey, receiveId }, durationS)
  } finally {
    await app.close()
  }
}

/**
 * Requests/s of `POST /dingtalk/callback` through `@dingtalk-kit/nestjs` (`DingTalkModule.forRoot`, Nest's
 * default body parsers on) against a hand-written Nest controller (`@Post() @HttpCode(200)`, `@Query()`,
 * `@Body()` from Nest's JSON parser, verify + decrypt + encrypted reply with `node:crypto`, the object returned
 * for Nest to serialise), on `@nestjs/platform-express` and `@nestjs/platform-fastify`.
 */
export async function benchNestjsAdapter(options: BenchOptions): Promise<Comparison[]> {
  const comparisons: Comparison[] = []
  for (const platform of ['express', 'fastify'] as const) {
    comparisons.push(
      await compareCallbackRoutes(
        options,
        `NestJS on ${platform}: POST /dingtalk/callback (requests/s)`,
        {
          name: `@dingtalk-kit/nestjs DingTalkModule (${platform})`,
          run: (d) => load(platform, AdapterModule, d),
        },
        {
          name: `hand-written Nest controller (${platform}, node:crypto)`,
          run: (d) => load(platform, HandWrittenModule, d),
        },
        'The adapter reads the raw body itself (Nest’s parser skips it), checks formats, repeated keys and ' +
          'parameters, and looks the event up in the de-duplication store (a re-push here).',
      ),
    )
  }
  return comparisons
}
