import 'reflect-metadata'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { buildPush, checkReply } from '@dingtalk-kit/emulator'
import { DingTalkModule, type EventOf, OnDingTalkEvent } from '@dingtalk-kit/nestjs'
import {
  type ArgumentsHost,
  type ExceptionFilter,
  type INestApplication,
  Injectable,
  Module,
  NotFoundException,
} from '@nestjs/common'
import { DiscoveryModule, NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { nest11, nestAliases } from '../vitest.config'

const TOKEN = 'nest11-callback-token'
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'
const CORP_ID = 'dingnest11corp01'

interface Loaded {
  name: string
  version: string
}

// Nest 11 is CommonJS: whatever copy of it a module imported sits in Node's module cache, under the folder of
// the package it came from. Nest 12 is ESM and never shows up there, so a missed alias finds nothing.
function packagesExporting(exportName: string, value: unknown): Loaded[] {
  const found = new Map<string, Loaded>()
  for (const [file, entry] of Object.entries(createRequire(import.meta.url).cache)) {
    const exported = entry?.exports as Record<string, unknown> | undefined
    if (exported?.[exportName] !== value) continue
    for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
      const manifest = join(dir, 'package.json')
      if (!existsSync(manifest)) continue
      const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as Loaded
      if (!name?.startsWith('@nestjs/')) continue
      found.set(manifest, { name, version })
      break
    }
  }
  return [...found.values()]
}

const running: INestApplication[] = []
afterEach(async () => {
  for (const app of running.splice(0)) await app.close()
})

describe('packages/nestjs on NestJS 11', () => {
  it('aliases every @nestjs package, subpaths included, to its Nest 11 copy', () => {
    expect(Object.keys(nest11).sort()).toEqual([
      '@nestjs/common',
      '@nestjs/core',
      '@nestjs/platform-express',
      '@nestjs/platform-fastify',
      '@nestjs/testing',
    ])
    const aliased = (id: string): string =>
      nestAliases.reduce((to, { find, replacement }) => to.replace(find, replacement), id)
    for (const [name, folder] of Object.entries(nest11)) {
      const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as Loaded
      expect(manifest).toMatchObject({ name, version: expect.stringMatching(/^11\./) })
      expect(aliased(name)).toBe(folder)
      expect(aliased(`${name}/package.json`)).toBe(`${folder}/package.json`)
    }
    expect(aliased('@nestjs/commonx')).toBe('@nestjs/commonx')
    expect(aliased('@nestjs/microservices')).toBe('@nestjs/microservices')
  })

  it("the adapter's @nestjs/core is Nest 11's, the same copy the app runs on", () => {
    // DingTalkModule's metadata holds the DiscoveryModule that packages/nestjs/src imported from '@nestjs/core'.
    const imported = Reflect.getMetadata('imports', DingTalkModule) as unknown[]
    expect(imported).toHaveLength(1)
    expect(imported[0]).toBe(DiscoveryModule)
    expect(packagesExporting('DiscoveryModule', imported[0])).toEqual([
      { name: '@nestjs/core', version: expect.stringMatching(/^11\./) },
    ])
  })

  it.each(['express', 'fastify'] as const)(
    "DingTalkModule runs on Nest 11 (%s): its 404 is Nest 11's NotFoundException and pushes reach handlers",
    async (platform) => {
      const added: string[] = []
      @Injectable()
      class Directory {
        @OnDingTalkEvent('user_add_org')
        add(event: EventOf<'user_add_org'>): void {
          added.push(...event.UserId)
        }
      }
      @Module({
        imports: [
          DingTalkModule.forRoot({ callback: { token: TOKEN, aesKey: AES_KEY, receiveId: CORP_ID } }),
        ],
        providers: [Directory],
      })
      class AppModule {}
      const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter()
      const app = await NestFactory.create(AppModule, adapter, { logger: false, abortOnError: false })
      running.push(app)
      const caught: unknown[] = []
      const filter: ExceptionFilter = {
        catch(exception: unknown, host: ArgumentsHost): void {
          caught.push(exception)
          app.getHttpAdapter().reply(host.switchToHttp().getResponse(), { statusCode: 404 }, 404)
        },
      }
      app.useGlobalFilters(filter)
      await app.listen(0, '127.0.0.1')
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1')

      // SSO is not configured, so packages/nestjs/src throws its NotFoundException (from '@nestjs/common').
      expect((await fetch(`${url}/dingtalk/sso?code=x`)).status).toBe(404)
      expect(caught).toHaveLength(1)
      expect(caught[0]).toBeInstanceOf(NotFoundException)
      expect(packagesExporting('NotFoundException', (caught[0] as object).constructor)).toEqual([
        { name: '@nestjs/common', version: expect.stringMatching(/^11\./) },
      ])

      const push = buildPush({
        url: `${url}/dingtalk/callback`,
        token: TOKEN,
        aesKey: AES_KEY,
        receiveId: CORP_ID,
        event: { EventType: 'user_add_org', UserId: ['u11'], CorpId: CORP_ID },
      })
      const response = await fetch(push.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: push.body,
      })
      const reply = { status: response.status, body: await response.text() }
      expect(checkReply({ ...reply, token: TOKEN, aesKey: AES_KEY, receiveId: CORP_ID }).ok).toBe(true)
      expect(added).toEqual(['u11'])
    },
  )
})
