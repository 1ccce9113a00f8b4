// The dd.config signature is only right if it signs the URL the page really has. So each example app's page
// is loaded in a real headless Chromium, at a URL with Chinese text in the query and a #hash, with a stand-in
// `dd` that records what the page's own script passes to dd.config; the signature is then recomputed here
// with node:crypto from the ticket the emulator issued.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { defaultFixture, type Emulator } from '@dingtalk-kit/emulator'
import { startApp as startHono } from 'dingtalk-kit-hono-example/src/app'
import { startApp as startKoa } from 'dingtalk-kit-koa-example/src/app'
import { startApp as startNest } from 'dingtalk-kit-nestjs-example/src/app'
import { type BrowserContext, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const org = defaultFixture.orgs[0]!
const corpApp = org.apps![0]!

/** Debian's chromium (or CHROMIUM_PATH); playwright-core cannot download a browser here. */
function chromiumPath(): string {
  const given = process.env.CHROMIUM_PATH
  const candidates = given
    ? [given]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'chromium'))
  const found = candidates.find((path) => spawnSync(path, ['--version'], { stdio: 'ignore' }).status === 0)
  if (found === undefined) {
    throw new Error(
      'chromium is missing: this test drives a headless Chromium. Install it: apt-get install chromium (Debian/Ubuntu), or set CHROMIUM_PATH to a Chromium or Chrome binary',
    )
  }
  return found
}

interface Example {
  url: string
  emulator: Emulator | undefined
  close(): Promise<void>
}

const EXAMPLES: { name: string; start(): Promise<Example> }[] = [
  { name: 'Koa', start: () => startKoa({ port: 0, registerCallback: false }) },
  { name: 'NestJS', start: () => startNest({ port: 0, registerCallback: false }) },
  { name: 'Hono', start: () => startHono({ port: 0, registerCallback: false }) },
]

interface DdConfigCall {
  config: { agentId: string; corpId: string; timeStamp: string; nonceStr: string; signature: string }
  href: string
}

declare global {
  interface Window {
    ddConfigCalls: DdConfigCall[]
  }
}

const sha1 = (text: string): string => createHash('sha1').update(text, 'utf8').digest('hex')

// §3.3, written out independently of the core: drop the #hash, percent-decode the query.
const signedUrlOf = (href: string): string => {
  const withoutHash = href.split('#')[0]!
  const at = withoutHash.indexOf('?')
  return at < 0 ? withoutHash : withoutHash.slice(0, at + 1) + decodeURIComponent(withoutHash.slice(at + 1))
}

let context: BrowserContext
let profile: string

beforeAll(async () => {
  const executablePath = chromiumPath()
  profile = await mkdtemp(join(tmpdir(), 'dingtalk-kit-chromium-'))
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}, 60_000)

afterAll(async () => {
  await context?.close()
  if (profile) await rm(profile, { recursive: true, force: true })
})

describe.each(EXAMPLES)('the $name example’s JSAPI page in headless Chromium', ({ start }) => {
  let example: Example

  beforeAll(async () => {
    example = await start()
  })

  afterAll(async () => {
    await example?.close()
  })

  it('passes dd.config a signature over location.href without its #hash, valid for the emulator’s ticket', async () => {
    const emu = example.emulator!
    const page = await context.newPage()
    try {
      // The stand-in dd exists before any page script runs, as DingTalk's container provides it.
      await page.addInitScript(() => {
        window.ddConfigCalls = []
        const dd = {
          config: (config: DdConfigCall['config']) => {
            window.ddConfigCalls.push({ config, href: location.href })
          },
          ready: () => undefined,
          error: () => undefined,
        }
        Object.assign(window, { dd })
      })
      // No network here: anything but the app itself (a CDN script, a font) is refused, not waited for.
      const origin = new URL(example.url).origin
      await page.route(
        (url) => url.origin !== origin,
        (route) => route.abort(),
      )
      const configRequests: string[] = []
      page.on('request', (request) => {
        const url = new URL(request.url())
        if (url.pathname.endsWith('/jsapi-config')) configRequests.push(url.searchParams.get('url') ?? '')
      })

      await page.goto(`${example.url}/?keyword=钉钉 开放平台&dept=研发部#/contacts?tab=新成员`)
      await page.waitForFunction(() => window.ddConfigCalls.length > 0, undefined, { timeout: 20_000 })
      const calls = await page.evaluate(() => window.ddConfigCalls)
      const href = await page.evaluate(() => location.href)

      expect(calls).toHaveLength(1)
      const { config } = calls[0]!
      expect(calls[0]!.href).toBe(href)
      // The page asked for its real location, hash included: dropping it is the server's job.
      expect(href).toContain('#/contacts')
      expect(href).toContain('%E9%92%89%E9%92%89') // 钉钉, as the browser percent-encodes it
      expect(configRequests).toEqual([href])

      expect(config.corpId).toBe(org.corpId)
      expect(config.agentId).toBe(String(corpApp.agentId))
      const ticket = emu.state.currentTickets.get(`appkey:${corpApp.appKey}`)
      expect(ticket, 'the emulator issued no jsapi_ticket to the app').toBeDefined()

      const signedUrl = signedUrlOf(href)
      expect(signedUrl).toBe(`${example.url}/?keyword=钉钉 开放平台&dept=研发部`)
      const plain = (url: string): string =>
        `jsapi_ticket=${ticket}&noncestr=${config.nonceStr}&timestamp=${config.timeStamp}&url=${url}`
      expect(config.signature).toBe(sha1(plain(signedUrl)))
      // …and not over the URL with its hash, or with the query still percent-encoded.
      expect(config.signature).not.toBe(sha1(plain(href)))
      expect(config.signature).not.toBe(sha1(plain(href.split('#')[0]!)))
    } finally {
      await page.close()
    }
  })
})
