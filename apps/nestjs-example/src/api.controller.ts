import { readFile } from 'node:fs/promises'
import {
  DingTalkApiError,
  DingTalkClient,
  DingTalkRequestError,
  DingTalkRoutes,
  DingTalkSuiteClient,
  message,
} from '@dingtalk-kit/nestjs'
import {
  type ArgumentsHost,
  BadRequestException,
  Body,
  Catch,
  Controller,
  type ExceptionFilter,
  Get,
  Header,
  Headers,
  HttpCode,
  HttpException,
  Inject,
  NotFoundException,
  Param,
  Post,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common'
import { type DirectoryEntry, DirectoryService } from './directory.service'
import { loginRefusal } from './login-guard'
import { CurrentSession, type Session, Sessions, SignedIn } from './session'
import { type ResolvedSettings, SETTINGS } from './settings'

const page = readFile(new URL('../public/index.html', import.meta.url), 'utf8')

/** DingTalk failures of the app's own API calls become 502s that say which errcode, never a secret. */
@Catch(DingTalkRequestError)
export class DingTalkErrorFilter implements ExceptionFilter {
  catch(error: DingTalkRequestError, host: ArgumentsHost): void {
    const body =
      error instanceof DingTalkApiError
        ? { error: 'dingtalk_error', errcode: error.errcode, requestId: error.requestId }
        : { error: 'dingtalk_unreachable', code: error.code }
    host
      .switchToHttp()
      .getResponse<{ status(code: number): { json(body: unknown): void } }>()
      .status(502)
      .json(body)
  }
}

interface CookieResponse {
  setHeader(name: string, value: string): void
}

@Controller()
@UseFilters(DingTalkErrorFilter)
export class ApiController {
  constructor(
    @Inject(DingTalkRoutes) private readonly routes: DingTalkRoutes,
    @Inject(DingTalkClient) private readonly client: DingTalkClient,
    @Inject(DingTalkSuiteClient) private readonly suite: DingTalkSuiteClient | undefined,
    @Inject(DirectoryService) private readonly directory: DirectoryService,
    @Inject(Sessions) private readonly sessions: Sessions,
    @Inject(SETTINGS) private readonly settings: ResolvedSettings,
  ) {}

  /** The page that fetches its `dd.config` from `/dingtalk/jsapi-config` and shows it. */
  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  page(): Promise<string> {
    return page
  }

  /** Free-login: the code from `dd.runtime.permission.requestAuthCode` → the SSO route → a session cookie. */
  @Post('api/login')
  @HttpCode(200)
  async login(
    @Body() body: { code?: unknown; corpId?: unknown } | undefined,
    @Headers('origin') origin: string | undefined,
    @Headers('content-type') contentType: string | undefined,
    @Req() req: { ip?: string | undefined },
    @Res({ passthrough: true }) res: CookieResponse,
  ): Promise<Session> {
    // Login CSRF: JSON only, from one of this app's pages.
    const refused = loginRefusal(origin, contentType, this.settings.allowedOrigins)
    if (refused) throw new HttpException({ error: refused.error }, refused.status)
    const query: Record<string, string> = {}
    if (typeof body?.code === 'string') query.code = body.code
    if (typeof body?.corpId === 'string') query.corpId = body.corpId
    // clientAddress: failed codes are limited per client before they reach DingTalk.
    const identity = await this.routes.handle({
      method: 'GET',
      path: '/sso',
      query,
      ...(req.ip === undefined ? {} : { clientAddress: req.ip }),
    })
    if (!identity) throw new NotFoundException()
    const answer = JSON.parse(identity.body) as Session & Record<string, unknown>
    if (identity.status !== 200) throw new HttpException(answer, identity.status)
    const session: Session = {
      userId: answer.userId,
      name: answer.name,
      corpId: answer.corpId,
      isAdmin: answer.isAdmin,
    }
    res.setHeader('set-cookie', this.sessions.cookie(session))
    return session
  }

  @Post('api/logout')
  @HttpCode(204)
  logout(@Res({ passthrough: true }) res: CookieResponse): void {
    res.setHeader('set-cookie', this.sessions.clear())
  }

  @Get('api/me')
  @UseGuards(SignedIn)
  me(@CurrentSession() session: Session): Session {
    return session
  }

  @Get('api/directory')
  list(): DirectoryEntry[] {
    return this.directory.list()
  }

  /** Sends a text to a group conversation (`cid`) as the signed-in user. */
  @Post('api/messages')
  @HttpCode(200)
  @UseGuards(SignedIn)
  send(
    @CurrentSession() session: Session,
    @Body() body: { cid?: unknown; text?: unknown } | undefined,
  ): Promise<{ receivers: string[] }> {
    const { cid, text } = body ?? {}
    if (typeof cid !== 'string' || typeof text !== 'string' || !cid || !text) {
      throw new BadRequestException({ error: 'cid_and_text_required' })
    }
    return this.client.messages.sendToConversation({
      sender: session.userId,
      cid,
      message: message.text(text),
    })
  }

  /** ISV: an authorising corp, once its permanent code is stored. */
  @Get('api/isv/corps/:corpId')
  async corp(@Param('corpId') corpId: string): Promise<{ corpId: string; corpName: string }> {
    if (!this.suite) throw new NotFoundException({ error: 'no_suite' })
    if (!(await this.suite.hasCorp(corpId))) throw new NotFoundException({ error: 'corp_not_authorized' })
    const info = await this.suite.getAuthInfo(corpId)
    return { corpId, corpName: info.corp.corpName }
  }

  /** ISV: a user of an authorising corp, through that corp's client. */
  @Get('api/isv/corps/:corpId/users/:userId')
  async corpUser(
    @Param('corpId') corpId: string,
    @Param('userId') userId: string,
  ): Promise<{ corpId: string; userId: string; name: string; title: string | undefined }> {
    if (!this.suite) throw new NotFoundException({ error: 'no_suite' })
    const { name, title } = await this.suite.forCorp(corpId).contacts.users.get(userId)
    return { corpId, userId, name, title }
  }
}
