import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common'

const NAMES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
}

/**
 * Nest's own HTTP errors say too much: a 404 echoes the path and query (`Cannot GET /…?token=…`) and a 400
 * from the JSON parser its message. This answers `{ error }` with a fixed name instead; the app's own errors,
 * thrown with an `{ error }` body, pass unchanged.
 */
@Catch(HttpException)
export class PlainHttpErrors implements ExceptionFilter {
  catch(exception: HttpException, host: ArgumentsHost): void {
    const status = exception.getStatus()
    const answer = exception.getResponse()
    const own =
      typeof answer === 'object' &&
      answer !== null &&
      typeof (answer as { error?: unknown }).error === 'string' &&
      !('statusCode' in answer)
    host
      .switchToHttp()
      .getResponse<{ status(code: number): { json(body: unknown): void } }>()
      .status(status)
      .json(own ? answer : { error: NAMES[status] ?? 'error' })
  }
}
