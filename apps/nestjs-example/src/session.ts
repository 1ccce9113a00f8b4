import { createHmac, timingSafeEqual } from 'node:crypto'
import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common'
import { type ResolvedSettings, SETTINGS } from './settings'

/** Who is signed in (from the SSO route), kept in a signed HttpOnly cookie. */
export interface Session {
  userId: string
  name: string
  corpId: string
  isAdmin: boolean
}

interface WithSession {
  headers: Record<string, string | string[] | undefined>
  session?: Session
}

export const SESSION_COOKIE = 'dt_session'

/** Signs and reads the session cookie: `base64url(json).base64url(hmac-sha256)`. */
@Injectable()
export class Sessions {
  constructor(@Inject(SETTINGS) private readonly settings: ResolvedSettings) {}

  private sign(payload: string): string {
    return createHmac('sha256', this.settings.sessionSecret).update(payload).digest('base64url')
  }

  cookie(session: Session): string {
    const payload = Buffer.from(JSON.stringify(session)).toString('base64url')
    const secure = this.settings.secureCookie ? '; Secure' : ''
    return `${SESSION_COOKIE}=${payload}.${this.sign(payload)}; Path=/; HttpOnly; SameSite=Lax${secure}`
  }

  clear(): string {
    return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`
  }

  read(headers: WithSession['headers']): Session | undefined {
    const cookies = [headers.cookie ?? []].flat().join('; ')
    const value = cookies
      .split(/;\s*/)
      .find((c) => c.startsWith(`${SESSION_COOKIE}=`))
      ?.slice(SESSION_COOKIE.length + 1)
    const [payload, signature] = value?.split('.') ?? []
    if (!payload || !signature) return undefined
    const expected = Buffer.from(this.sign(payload))
    const given = Buffer.from(signature)
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined
    try {
      return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Session
    } catch {
      return undefined
    }
  }
}

/** Lets a request through only with a valid session, which `@CurrentSession()` then hands over. */
@Injectable()
export class SignedIn implements CanActivate {
  constructor(@Inject(Sessions) private readonly sessions: Sessions) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<WithSession>()
    const session = this.sessions.read(req.headers)
    if (!session) throw new UnauthorizedException({ error: 'not_signed_in' })
    req.session = session
    return true
  }
}

export const CurrentSession: () => ParameterDecorator = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<WithSession>().session,
)
