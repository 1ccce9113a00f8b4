import { runAdapterConformance } from '@dingtalk-kit/core/testing'
import { Module } from '@nestjs/common'
import { DingTalkModule } from '../src/index'
import { PLATFORMS, startNest } from './helpers'

// The shared suite, unchanged, on both platforms with Nest's default body parsers on (no `rawBody`).
for (const platform of PLATFORMS) {
  runAdapterConformance(`NestJS on @nestjs/platform-${platform}`, async ({ prefix, ...options }) => {
    @Module({ imports: [DingTalkModule.forRoot({ ...options, prefix })] })
    class AppModule {}
    const { url, close } = await startNest(platform, AppModule)
    return { url, close }
  })
}
