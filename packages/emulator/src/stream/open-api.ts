import type { Api } from '../exchange'
import { send } from '../server'
import type { StreamGateway } from './gateway'

/** `POST /v1.0/gateway/connections/open` as one of the APIs the emulator's port serves (§13.1). */
export function streamOpenApi(gateway: StreamGateway): Api {
  return {
    bodyLimit: () => 64 * 1024,
    async dispatch({ req, res, method, entry, body }) {
      const answer = await gateway.open(method, String(req.headers.accept ?? ''), body.bytes.toString('utf8'))
      entry.body = answer.logBody
      send(res, entry, answer.status, { 'Content-Type': answer.contentType }, answer.body)
    },
  }
}
