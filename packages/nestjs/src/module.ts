import { addEventMethod, createDingTalkRoutes } from '@dingtalk-kit/core'
import { ConfigurableModuleBuilder, type DynamicModule, Inject, Logger, Module } from '@nestjs/common'
import { GUARDS_METADATA, INTERCEPTORS_METADATA } from '@nestjs/common/constants.js'
import { DiscoveryModule, DiscoveryService, MetadataScanner } from '@nestjs/core'
import { createDingTalkController, EXTRAS_DEFAULTS } from './controller'
import { dingTalkEventBindings } from './events'
import type { DingTalkModuleForRoot, DingTalkModuleForRootAsync, DingTalkModuleOptions } from './options'
import { DingTalkClient, DingTalkRoutes, DingTalkStore, DingTalkStream, DingTalkSuiteClient } from './tokens'

const builder = new ConfigurableModuleBuilder<DingTalkModuleOptions>({ moduleName: 'DingTalk' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createDingTalkOptions')
  .setExtras(EXTRAS_DEFAULTS, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
    controllers: [createDingTalkController(extras)],
  }))
  .build()

/**
 * The injection token of the options object itself.
 *
 * @example
 * ```ts
 * constructor(@Inject(DINGTALK_MODULE_OPTIONS) options: DingTalkModuleOptions) {}
 * ```
 */
export const DINGTALK_MODULE_OPTIONS: string | symbol = builder.MODULE_OPTIONS_TOKEN

const ENHANCERS = [GUARDS_METADATA, INTERCEPTORS_METADATA]

/**
 * The DingTalk module: mounts `POST {prefix}/callback`, `POST {prefix}/suite/callback`,
 * `GET {prefix}/jsapi-config` and `GET {prefix}/sso` (those configured), makes the client, suite client,
 * store and routes injectable by class, and wires `@OnDingTalkEvent()` methods to the callback handlers (and,
 * with `stream`, to a Stream client on the same pipeline, started with the app and closed on shutdown).
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     DingTalkModule.forRoot({
 *       isGlobal: true,
 *       client: createDingTalkClient({ appKey, appSecret, corpId }, { agentId }),
 *       callback: { token, aesKey },
 *       jsapi: { allowedOrigins: ['https://app.example.com'] },
 *     }),
 *   ],
 *   providers: [ContactsSync],
 * })
 * export class AppModule {}
 * ```
 */
export class DingTalkModule {
  private readonly logger = new Logger('DingTalk')

  /**
   * Configures the module with options known up front.
   *
   * @example
   * ```ts
   * DingTalkModule.forRoot({ client, callback: { token, aesKey }, prefix: '/dingtalk' })
   * ```
   */
  static forRoot(options: DingTalkModuleForRoot): DynamicModule {
    return { ...builder.ConfigurableModuleClass.forRoot(options), module: DingTalkModule }
  }

  /**
   * Configures the module from a factory (e.g. reading `ConfigService`); `isGlobal`, `prefix`, `guards` and
   * `interceptors` sit beside the factory because they shape the module before it runs.
   *
   * @example
   * ```ts
   * DingTalkModule.forRootAsync({
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({
   *     client: createDingTalkClient({ appKey: config.getOrThrow('DINGTALK_APP_KEY'), appSecret: config.getOrThrow('DINGTALK_APP_SECRET') }),
   *     callback: { token: config.getOrThrow('DINGTALK_CALLBACK_TOKEN'), aesKey: config.getOrThrow('DINGTALK_CALLBACK_AES_KEY') },
   *   }),
   * })
   * ```
   */
  static forRootAsync(options: DingTalkModuleForRootAsync): DynamicModule {
    return { ...builder.ConfigurableModuleClass.forRootAsync(options), module: DingTalkModule }
  }

  /** @internal Nest creates the module, with what it needs to wire `@OnDingTalkEvent()` methods. */
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly routes: DingTalkRoutes,
    private readonly stream: DingTalkStream | undefined,
  ) {}

  /** Adds the `@OnDingTalkEvent()` methods of every provider and controller to the routes' pipeline. */
  onModuleInit(): void {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance = wrapper.instance as Record<string, unknown> | undefined
      if (!instance || typeof instance !== 'object') continue
      for (const name of this.scanner.getAllMethodNames(Object.getPrototypeOf(instance))) {
        const method = instance[name] as ((...args: never[]) => unknown) | undefined
        if (typeof method !== 'function') continue
        const where = `@OnDingTalkEvent() on ${String(wrapper.name)}.${name}`
        const warn = (problem: string) => this.logger.warn(`${where}: ${problem}`)
        for (const binding of dingTalkEventBindings(method)) {
          if (!wrapper.isDependencyTreeStatic()) {
            this.logger.warn(`${where} ignored: not a singleton provider`)
            continue
          }
          // Guards and interceptors run on the routes' HTTP request; per event they would be handed an event.
          if (ENHANCERS.some((key) => Reflect.getMetadata(key, method) !== undefined))
            warn('its @UseGuards/@UseInterceptors do not run per event (use the module’s)')
          addEventMethod(this.routes, instance, method, binding, { warn, otherTransport: !!this.stream })
        }
      }
    }
  }

  /** Starts the Stream client, when configured, once every method is on the pipeline. */
  async onApplicationBootstrap(): Promise<void> {
    await this.stream?.start()
  }

  /**
   * Closes the Stream client (it finishes and ACKs its frames); handlers still running after their reply
   * (past the deadline) finish before the process exits.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.stream?.close()
    await this.routes.idle()
  }
}

// Decorators applied as calls, for the same reason as in controller.ts.
for (const [index, token] of [DiscoveryService, MetadataScanner, DingTalkRoutes, DingTalkStream].entries())
  Inject(token)(DingTalkModule, undefined, index)
// What the module makes injectable by class: values from its options, and the Stream client.
const fromOptions = (
  provide: abstract new () => unknown,
  useFactory: (options: DingTalkModuleOptions) => unknown,
) => ({ provide, useFactory, inject: [DINGTALK_MODULE_OPTIONS] })
const PROVIDERS = [
  fromOptions(DingTalkRoutes, createDingTalkRoutes),
  fromOptions(DingTalkClient, (options) => options.client),
  fromOptions(DingTalkSuiteClient, (options) => options.suiteClient),
  fromOptions(DingTalkStore, (options) => options.client?.store ?? options.suiteClient?.store),
  { provide: DingTalkStream, useFactory: createStream, inject: [DINGTALK_MODULE_OPTIONS, DingTalkRoutes] },
]
// On the routes' pipeline; `@dingtalk-kit/stream` is an optional peer, imported only when configured.
async function createStream({ stream }: DingTalkModuleOptions, routes: DingTalkRoutes) {
  if (!stream) return undefined
  const missing = 'DingTalkModule `stream` needs @dingtalk-kit/stream: npm i @dingtalk-kit/stream'
  const { createStreamClient } = await import('@dingtalk-kit/stream').catch((cause: unknown) => {
    throw new Error(missing, { cause })
  })
  return createStreamClient({ ...(stream === true ? {} : stream), dispatcher: routes.dispatcher })
}
Module({
  imports: [DiscoveryModule],
  providers: PROVIDERS,
  exports: [...PROVIDERS.map(({ provide }) => provide), DINGTALK_MODULE_OPTIONS],
})(DingTalkModule)
