import { buildPush, checkReply } from '@dingtalk-kit/emulator'
import {
  type BeforeApplicationShutdown,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  Module,
  type NestInterceptor,
  type OnApplicationBootstrap,
  type OnModuleInit,
  Scope,
  SetMetadata,
  UseInterceptors,
} from '@nestjs/common'
import { APP_GUARD, Reflector } from '@nestjs/core'
import type { Observable } from 'rxjs'
import { tap } from 'rxjs'
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest'
import {
  createDingTalkClient,
  DINGTALK_MODULE_OPTIONS,
  DingTalkClient,
  DingTalkModule,
  type DingTalkModuleOptions,
  DingTalkRoutes,
  DingTalkStore,
  DingTalkSuiteClient,
  type EventContext,
  type EventOf,
  memoryStore,
  OnDingTalkEvent,
  type RouteResponse,
} from '../src/index'
import { AES_KEY, CORP_ID, PLATFORMS, type Running, startNest, TOKEN } from './helpers'

const running: Running[] = []
afterEach(async () => {
  for (const app of running.splice(0)) await app.close()
})

async function start(...args: Parameters<typeof startNest>): Promise<Running> {
  const app = await startNest(...args)
  running.push(app)
  return app
}

function push(baseUrl: string, event: Record<string, unknown>) {
  return buildPush({ url: baseUrl, token: TOKEN, aesKey: AES_KEY, receiveId: CORP_ID, event })
}

async function send(url: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  })
  return { status: response.status, body: await response.text(), headers: response.headers }
}

const acked = (reply: { status: number; body: string }): boolean =>
  checkReply({ ...reply, token: TOKEN, aesKey: AES_KEY, receiveId: CORP_ID }).ok

/** An app logger that keeps what is warned. */
function recordWarnings() {
  const warnings: string[] = []
  const logger = { log() {}, error() {}, warn: (message: unknown) => void warnings.push(String(message)) }
  return { warnings, logger }
}

@Injectable()
class Contacts {
  readonly seen: string[] = []
  readonly contexts: EventContext[] = []

  @OnDingTalkEvent('user_add_org')
  added(event: EventOf<'user_add_org'>, context: EventContext): void {
    this.seen.push(`added:${event.UserId.join(',')}`)
    this.contexts.push(context)
  }

  @OnDingTalkEvent(['org_dept_create', 'org_dept_remove'])
  @OnDingTalkEvent('user_leave_org')
  async changed(event: EventOf<'org_dept_create' | 'org_dept_remove' | 'user_leave_org'>): Promise<void> {
    await Promise.resolve()
    this.seen.push(event.EventType)
  }

  @OnDingTalkEvent('user_modify_org')
  failing(): never {
    throw new Error('not now')
  }
}

// A fresh client (and so a fresh store) per test: the callback handler de-duplicates in the client's store,
// and these tests push the same events on both platforms.
let client: DingTalkClient
let options: DingTalkModuleOptions
beforeEach(() => {
  client = createDingTalkClient(
    { appKey: 'dingnestappkey', appSecret: 'nest-app-secret', corpId: CORP_ID },
    { baseUrl: 'http://127.0.0.1:9', store: memoryStore() },
  )
  options = { client, callback: { token: TOKEN, aesKey: AES_KEY } }
})

it('has the lifecycle hooks Nest calls, with the signatures of Nest’s interfaces', () => {
  // Checked by the package's typecheck (test files are compiled): the module class implements them.
  expectTypeOf<DingTalkModule>().toExtend<OnModuleInit & OnApplicationBootstrap & BeforeApplicationShutdown>()
  for (const hook of ['onModuleInit', 'onApplicationBootstrap', 'beforeApplicationShutdown'] as const)
    expect(typeof DingTalkModule.prototype[hook]).toBe('function')
})

describe.each(PLATFORMS)('DingTalkModule on %s', (platform) => {
  it('runs @OnDingTalkEvent methods of any provider, typed by the event, and answers with the encrypted reply', async () => {
    @Module({ imports: [DingTalkModule.forRoot(options)], providers: [Contacts] })
    class AppModule {}
    const { app, url } = await start(platform, AppModule)
    const contacts = app.get(Contacts)

    const added = push(`${url}/dingtalk/callback`, {
      EventType: 'user_add_org',
      UserId: ['u1', 'u2'],
      CorpId: CORP_ID,
    })
    const reply = await send(added.url, added.body)
    expect(reply.status).toBe(200)
    expect(acked(reply)).toBe(true)
    expect(contacts.seen).toEqual(['added:u1,u2'])
    expect(contacts.contexts[0]?.client).toBe(client)
    expect(contacts.contexts[0]?.receiveId).toBe(CORP_ID)

    for (const EventType of ['org_dept_create', 'org_dept_remove']) {
      const dept = push(`${url}/dingtalk/callback`, { EventType, DeptId: [7], CorpId: CORP_ID })
      expect(acked(await send(dept.url, dept.body))).toBe(true)
    }
    const left = push(`${url}/dingtalk/callback`, {
      EventType: 'user_leave_org',
      UserId: ['u1'],
      CorpId: CORP_ID,
    })
    expect(acked(await send(left.url, left.body))).toBe(true)
    expect(contacts.seen).toEqual(['added:u1,u2', 'org_dept_create', 'org_dept_remove', 'user_leave_org'])

    // A handler that throws asks DingTalk to push again.
    const modified = push(`${url}/dingtalk/callback`, {
      EventType: 'user_modify_org',
      UserId: ['u1'],
      CorpId: CORP_ID,
    })
    expect((await send(modified.url, modified.body)).status).toBe(503)
  })

  it('makes the client, suite client, store and routes injectable by class', async () => {
    @Injectable()
    class Uses {
      constructor(
        @Inject(DingTalkClient) readonly client: DingTalkClient,
        @Inject(DingTalkSuiteClient) readonly suite: DingTalkSuiteClient,
        @Inject(DingTalkStore) readonly store: DingTalkStore,
        @Inject(DingTalkRoutes) readonly routes: DingTalkRoutes,
        @Inject(DINGTALK_MODULE_OPTIONS) readonly options: DingTalkModuleOptions,
      ) {}
    }
    @Module({ imports: [DingTalkModule.forRoot(options)], providers: [Uses] })
    class AppModule {}
    const { app } = await start(platform, AppModule)
    const uses = app.get(Uses)
    expect(uses.client).toBe(client)
    expect(uses.store).toBe(client.store)
    expect(uses.suite).toBeUndefined()
    expect(typeof uses.routes.handle).toBe('function')
    expect(typeof uses.routes.callback?.handle).toBe('function')
    expect(uses.options.client).toBe(client)
  })

  it('forRootAsync: factory with imports and inject, isGlobal, a custom prefix under a global prefix', async () => {
    const CONFIG = Symbol('config')
    @Module({
      providers: [{ provide: CONFIG, useValue: { token: TOKEN, aesKey: AES_KEY } }],
      exports: [CONFIG],
    })
    class ConfigModule {}

    @Injectable()
    class ElsewhereService {
      constructor(@Inject(DingTalkClient) readonly client: DingTalkClient) {}
    }
    @Module({ providers: [ElsewhereService], exports: [ElsewhereService] })
    class ElsewhereModule {}

    @Module({
      imports: [
        DingTalkModule.forRootAsync({
          isGlobal: true,
          prefix: '/hooks/dd/',
          imports: [ConfigModule],
          inject: [CONFIG],
          useFactory: async (config: { token: string; aesKey: string }) => ({ client, callback: config }),
        }),
        ElsewhereModule,
      ],
      providers: [Contacts],
    })
    class AppModule {}
    const { app, url } = await start(platform, AppModule, { globalPrefix: 'api' })
    expect(app.get(ElsewhereService).client).toBe(client)

    const added = push(`${url}/api/hooks/dd/callback`, {
      EventType: 'user_add_org',
      UserId: ['u9'],
      CorpId: CORP_ID,
    })
    expect(acked(await send(added.url, added.body))).toBe(true)
    expect(app.get(Contacts).seen).toEqual(['added:u9'])
    expect((await fetch(`${url}/dingtalk/callback`, { method: 'POST' })).status).toBe(404)
  })

  it('answers 404 for a route that is not configured, and the core status codes for the rest', async () => {
    @Module({ imports: [DingTalkModule.forRoot(options)] })
    class AppModule {}
    const { url } = await start(platform, AppModule)
    expect((await fetch(`${url}/dingtalk/suite/callback`, { method: 'POST' })).status).toBe(404)
    expect((await fetch(`${url}/dingtalk/jsapi-config?url=https://a.example/`)).status).toBe(404)
    expect((await fetch(`${url}/dingtalk/nothing`)).status).toBe(404)
    const get = await fetch(`${url}/dingtalk/callback`)
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
    expect((await fetch(`${url}/dingtalk/sso`)).status).toBe(400)
  })

  it('warns that @UseGuards/@UseInterceptors on an event method do not run per event', async () => {
    const { warnings, logger } = recordWarnings()
    @Injectable()
    class Passthrough implements NestInterceptor {
      intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
        return next.handle()
      }
    }
    @Injectable()
    class Audited {
      @OnDingTalkEvent('user_add_org')
      @UseInterceptors(Passthrough)
      added(): void {}

      @OnDingTalkEvent('user_leave_org')
      left(): void {}
    }
    @Module({ imports: [DingTalkModule.forRoot(options)], providers: [Audited] })
    class AppModule {}
    await start(platform, AppModule, { logger })
    expect(warnings.filter((w) => w.includes('@OnDingTalkEvent()'))).toEqual([
      '@OnDingTalkEvent() on Audited.added: its @UseGuards/@UseInterceptors do not run per event (use the module’s)',
    ])
  })

  it('warns for event methods that could never run: on a request-scoped provider, or from no configured callback route', async () => {
    const { warnings, logger } = recordWarnings()
    @Injectable({ scope: Scope.REQUEST })
    class PerRequest {
      @OnDingTalkEvent('user_add_org')
      added(): void {}
    }
    @Injectable()
    class SuiteOnly {
      @OnDingTalkEvent('user_add_org', { from: ['suiteCallback'] })
      added(): void {}

      @OnDingTalkEvent('user_leave_org')
      left(): void {}
    }
    @Module({ imports: [DingTalkModule.forRoot(options)], providers: [PerRequest, SuiteOnly] })
    class AppModule {}
    await start(platform, AppModule, { logger })
    expect(warnings.filter((w) => w.includes('@OnDingTalkEvent()')).sort()).toEqual([
      '@OnDingTalkEvent() on PerRequest.added ignored: not a singleton provider',
      '@OnDingTalkEvent() on SuiteOnly.added: no suiteCallback configured',
    ])
  })

  it('decorators: class decorators on the controller let a global auth guard exempt the DingTalk routes', async () => {
    const IS_PUBLIC = 'isPublic'
    @Injectable()
    class RequireAuth implements CanActivate {
      constructor(@Inject(Reflector) private readonly reflector: Reflector) {}
      canActivate(context: ExecutionContext): boolean {
        const open = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
          context.getHandler(),
          context.getClass(),
        ])
        return (
          open === true ||
          context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers.authorization ===
            'yes'
        )
      }
    }
    const forRoot = (decorators: ClassDecorator[]) => {
      @Module({
        imports: [DingTalkModule.forRoot({ ...options, decorators })],
        providers: [{ provide: APP_GUARD, useClass: RequireAuth }],
      })
      class AppModule {}
      return AppModule
    }
    const closed = await start(platform, forRoot([]))
    const first = push(`${closed.url}/dingtalk/callback`, {
      EventType: 'user_add_org',
      UserId: ['u9'],
      CorpId: CORP_ID,
    })
    expect((await send(first.url, first.body)).status).toBe(403)
    const open = await start(platform, forRoot([SetMetadata(IS_PUBLIC, true)]))
    const second = push(`${open.url}/dingtalk/callback`, {
      EventType: 'user_add_org',
      UserId: ['u9'],
      CorpId: CORP_ID,
    })
    expect(acked(await send(second.url, second.body))).toBe(true)
  })

  it('applies global guards and the module’s own guards and interceptors to the routes', async () => {
    const calls: string[] = []
    const pathOf = (context: ExecutionContext): string =>
      context.switchToHttp().getRequest<{ url: string }>().url.split('?', 1)[0]!
    @Injectable()
    class BlockHeader implements CanActivate {
      canActivate(context: ExecutionContext): boolean {
        calls.push(`guard:${pathOf(context)}`)
        return (
          context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-block'] ===
          undefined
        )
      }
    }
    @Injectable()
    class Observe implements NestInterceptor {
      intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
        return next
          .handle()
          .pipe(tap((value) => calls.push(`interceptor:${(value as RouteResponse).status}`)))
      }
    }
    @Injectable()
    class Global implements CanActivate {
      canActivate(context: ExecutionContext): boolean {
        calls.push(`global:${pathOf(context)}`)
        return true
      }
    }
    @Module({
      imports: [DingTalkModule.forRoot({ ...options, guards: [BlockHeader], interceptors: [new Observe()] })],
      providers: [{ provide: APP_GUARD, useClass: Global }],
    })
    class AppModule {}
    const { url } = await start(platform, AppModule)

    const added = push(`${url}/dingtalk/callback`, {
      EventType: 'user_add_org',
      UserId: ['u1'],
      CorpId: CORP_ID,
    })
    expect((await send(added.url, added.body, { 'x-block': '1' })).status).toBe(403)
    expect(acked(await send(added.url, added.body))).toBe(true)
    expect((await fetch(`${url}/dingtalk/sso`)).status).toBe(400)
    expect(calls).toEqual([
      'global:/dingtalk/callback',
      'guard:/dingtalk/callback',
      'global:/dingtalk/callback',
      'guard:/dingtalk/callback',
      'interceptor:200',
      'global:/dingtalk/sso',
      'guard:/dingtalk/sso',
      'interceptor:400',
    ])
  })
})
