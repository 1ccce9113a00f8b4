import 'reflect-metadata'
import type { INestApplication, NestApplicationOptions } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'

export type Platform = 'express' | 'fastify'
export const PLATFORMS: readonly Platform[] = ['express', 'fastify']

export interface Running {
  app: INestApplication
  url: string
  close(): Promise<void>
}

/** Starts a real Nest app on 127.0.0.1:0 on the given platform. */
export async function startNest(
  platform: Platform,
  module: unknown,
  options: NestApplicationOptions & { globalPrefix?: string } = {},
): Promise<Running> {
  const { globalPrefix, ...appOptions } = options
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter()
  const app = await NestFactory.create(module as never, adapter, {
    logger: false,
    abortOnError: false,
    ...appOptions,
  })
  if (globalPrefix) app.setGlobalPrefix(globalPrefix)
  await app.listen(0, '127.0.0.1')
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1')
  return { app, url, close: () => app.close() }
}

export const TOKEN = 'nest-callback-token'
export const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'
export const CORP_ID = 'dingnestcorp0001'
