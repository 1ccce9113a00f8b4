import { createDingTalkRoutes, type DingTalkRoutesOptions } from '@dingtalk-kit/core'
import {
  type BeforeApplicationShutdown,
  type CanActivate,
  type ConfigurableModuleAsyncOptions,
  ConfigurableModuleBuilder,
  type DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  type NestInterceptor,
  type OnModuleInit,
  type Provider,
  type Type,
} from '@nestjs/common'
import { GUARDS_METADATA, INTERCEPTORS_METADATA } from '@nestjs/common/constants.js'
import { DiscoveryModule, DiscoveryService, MetadataScanner } from '@nestjs/core'
import { createDingTalkController } from './controller'
import { dingTalkEventBindings } from './events'
import { DingTalkClient, DingTalkRoutes, DingTalkStore, DingTalkSuiteClient } from './tokens'

/**
 * What `forRoot` takes, or `forRootAsync`'s factory returns: the core's `DingTalkRoutesOptions` (clients,
 * callback handlers or their options, jsapi allow-list, sso).
 *
 * @example
 * ```ts
 * const options: DingTalkModuleOptions = {
 *   client: createDingTalkClient({ appKey, appSecret, corpId }, { agentId }),
 *   callback: { token, aesKey },
 *   jsapi: { allowedOrigins: ['https://app.example.com'] },
 * }
 * ```
 */
export interface DingTalkModuleOptions extends DingTalkRoutesOptions {}

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
export type DingTalkModuleForRootAsync = ConfigurableModuleAsyncOptions<
  DingTalkModuleOptions,
  'createDingTalkOptions'
> &
  Partial<DingTalkModuleExtras>

const builder = new ConfigurableModuleBuilder<DingTalkModuleOptions>({ moduleName: 'DingTalk' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createDingTalkOptions')
  .setExtras<DingTalkModuleExtras>({ isGlobal: false, prefix: '/dingtalk' }, (definition, extras) => ({
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

/** Finds `@OnDingTalkEvent()` methods at start-up and adds them to the callback handlers. */
class DingTalkEventExplorer implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('DingTalk')

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly routes: DingTalkRoutes,
  ) {}

  onModuleInit(): void {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance = wrapper.instance as Record<string, unknown> | undefined
      if (!instance || typeof instance !== 'object') continue
      for (const name of this.scanner.getAllMethodNames(Object.getPrototypeOf(instance))) {
        const method = instance[name]
        if (typeof method !== 'function') continue
        for (const { types, from } of dingTalkEventBindings(method)) {
          const targets = from.flatMap((source) => this.routes[source] ?? [])
          const where = `@OnDingTalkEvent() on ${wrapper.name}.${name}`
          // Guards and interceptors run on the routes' HTTP request; per event they would be handed an event.
          if (ENHANCERS.some((key) => Reflect.getMetadata(key, method) !== undefined))
            this.logger.warn(
              `${where}: its @UseGuards/@UseInterceptors do not run per event (use the module’s)`,
            )
          if (!wrapper.isDependencyTreeStatic())
            this.logger.warn(`${where} ignored: not a singleton provider`)
          else if (targets.length === 0) this.logger.warn(`${where}: no ${from.join(' or ')} configured`)
          else for (const target of targets) for (const type of types) target.on(type, method.bind(instance))
        }
      }
    }
  }

  // Lets handlers still running after their reply (past the deadline) finish before the process exits.
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.routes.callback?.idle(), this.routes.suiteCallback?.idle()])
  }
}

/**
 * The DingTalk module: mounts `POST {prefix}/callback`, `POST {prefix}/suite/callback`,
 * `GET {prefix}/jsapi-config` and `GET {prefix}/sso` (those configured), makes the client, suite client,
 * store and routes injectable by class, and wires `@OnDingTalkEvent()` methods to the callback handlers.
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
}

// Decorators applied as calls, for the same reason as in controller.ts.
Injectable()(DingTalkEventExplorer)
for (const [index, token] of [DiscoveryService, MetadataScanner, DingTalkRoutes].entries()) {
  Inject(token)(DingTalkEventExplorer, undefined, index)
}
const fromOptions = (
  provide: abstract new () => unknown,
  useFactory: (options: DingTalkModuleOptions) => unknown,
): Provider => ({
  provide,
  useFactory,
  inject: [DINGTALK_MODULE_OPTIONS],
})
Module({
  imports: [DiscoveryModule],
  providers: [
    fromOptions(DingTalkRoutes, createDingTalkRoutes),
    fromOptions(DingTalkClient, (options) => options.client),
    fromOptions(DingTalkSuiteClient, (options) => options.suiteClient),
    fromOptions(DingTalkStore, (options) => options.client?.store ?? options.suiteClient?.store),
    DingTalkEventExplorer,
  ],
  exports: [DingTalkRoutes, DingTalkClient, DingTalkSuiteClient, DingTalkStore, DINGTALK_MODULE_OPTIONS],
})(DingTalkModule)
