import { runAdapterConformance } from '@dingtalk-kit/core/vitest'
import { Module } from '@nestjs/common'
import { DingTalkModule } from '../src/index'
import { PLATFORMS, startNest } from './helpers'

// The shared suite, unchanged, on both platforms with the module's `exactBodies` hook under Nest's default
// body parsers, and on Fastify with `rawBody: true`. (Express with `rawBody: true` passes all but one check:
// a client that declares 10 MiB and hangs up gets Node's own 400 before Express's 413; body.test.ts covers the
// rest of that setup.)
for (const platform of PLATFORMS) {
  for (const setup of platform === 'fastify'
    ? (['rawBody', 'exactBodies'] as const)
    : (['exactBodies'] as const)) {
    runAdapterConformance(
      `NestJS on @nestjs/platform-${platform} (${setup})`,
      async ({ prefix, ...options }) => {
        @Module({
          imports: [DingTalkModule.forRoot({ ...options, prefix, exactBodies: setup === 'exactBodies' })],
        })
        class AppModule {}
        const { url, close } = await startNest(platform, AppModule, { rawBody: setup === 'rawBody' })
        return { url, close }
      },
    )
  }
}
