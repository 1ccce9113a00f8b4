import type { DingTalkRoutesOptions } from '@dingtalk-kit/core'
import type { StreamConnectionOptions } from '@dingtalk-kit/stream'
import type { CanActivate, ConfigurableModuleAsyncOptions, NestInterceptor, Type } from '@nestjs/common'

/**
 * What `forRoot` takes, or `forRootAsync`'s factory returns: the core's `DingTalkRoutesOptions` (clients,
 * callback handlers or their options, jsapi allow-list, sso), and `stream` to receive events over Stream mode.
 *
 * @example
 * ```ts
 * const options: DingTalkModuleOptions = {
 *   client: createDingTalkClient({ appKey, appSecret, corpId }, { agentId }),
 *   callback: { token, aesKey },
 *   jsapi: { allowedOrigins: ['https://app.example.com'] },
 *   stream: true,
 * }
 * ```
 */
export interface DingTalkModuleOptions extends DingTalkRoutesOptions {
  /**
   * Receive events over Stream mode (a WebSocket the app opens; `@dingtalk-kit/stream` must be installed),
   * into the same pipeline as the callback routes: `@OnDingTalkEvent()` methods get Stream events unchanged,
   * and an event delivered over both is handled once. `true` connects with the client's AppKey/AppSecret
   * (else the suite client's SuiteKey/SuiteSecret); or `createStreamClient`'s options without the pipeline's.
   * Started on application bootstrap, closed on shutdown (in-flight frames finished and ACKed).
   */
  stream?: StreamConnectionOptions | true
}

/**
 * Static settings given next to the options (in `forRoot`'s object, or beside `useFactory`): they shape the
 * module before any factory runs.
 *
 * @example
 * ```ts
 * DingTalkModule.forRootAsync({ isGlobal: true, prefix: '/hooks/dingtalk', guards: [IpAllowListGuard], useFactory })
 * ```
 */
export interface DingTalkModuleExtras {
  /** Register the module globally, so any module can inject the client (default `false`). */
  isGlobal: boolean
  /** Where the routes mount (default `/dingtalk`); an app's global prefix applies on top. */
  prefix: string
  /** Guards for the DingTalk routes only (resolved in the module: list their providers' modules in `imports`). */
  guards?: ReadonlyArray<Type<CanActivate> | CanActivate>
  /** Interceptors for the DingTalk routes only. */
  interceptors?: ReadonlyArray<Type<NestInterceptor> | NestInterceptor>
  /**
   * Class decorators for the DingTalk controller, such as `SetMetadata('isPublic', true)` so that a global
   * auth guard lets DingTalk's callbacks through, `SkipThrottle()`, or `ApiExcludeController()`.
   */
  decorators?: ReadonlyArray<ClassDecorator>
  /**
   * Hand the core each callback body byte for byte whatever body parser the app runs (default `false`): a
   * request hook set on the whole app hides the body headers of callback requests from the app's parsers, so
   * the core reads the stream itself — its 1 MiB limit and its repeated-key check apply. Without it the core
   * takes `req.rawBody` (`NestFactory.create(AppModule, { rawBody: true })`: repeated keys are caught) or the
   * parsed body, within the platform's JSON limit (100 kB on Express, 1 MiB on Fastify).
   */
  exactBodies?: boolean
}

/**
 * `DingTalkModule.forRoot()`'s argument.
 *
 * @example
 * ```ts
 * const options: DingTalkModuleForRoot = { client, callback: { token, aesKey }, isGlobal: true }
 * ```
 */
export type DingTalkModuleForRoot = DingTalkModuleOptions & Partial<DingTalkModuleExtras>

/**
 * `DingTalkModule.forRootAsync()`'s argument: `imports`, and `useFactory` + `inject`, `useClass` or
 * `useExisting` (a class with `createDingTalkOptions()`), plus the static extras.
 *
 * @example
 * ```ts
 * const options: DingTalkModuleForRootAsync = {
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ client: createDingTalkClient({ appKey: config.get('KEY')!, appSecret: config.get('SECRET')! }) }),
 * }
 * ```
 */
export type DingTalkModuleForRootAsync = Partial<DingTalkModuleExtras> &
  ConfigurableModuleAsyncOptions<DingTalkModuleOptions, 'createDingTalkOptions'>
