import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { connect as netConnect, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls'

type Created = (error: Error | null, socket: Duplex) => void

const MAX_PROXY_HEADER_BYTES = 16 * 1024

/** Opens a TCP tunnel to `host:port` through an HTTP(S) proxy's CONNECT method (RFC 9110, section 9.3.6). */
export function connectTunnel(proxy: URL, host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const proxyPort = Number(proxy.port) || (proxy.protocol === 'https:' ? 443 : 80)
    const proxyHost = proxy.hostname.replace(/^\[|\]$/g, '')
    const socket: Socket =
      proxy.protocol === 'https:'
        ? tlsConnect({ host: proxyHost, port: proxyPort, servername: proxyHost })
        : netConnect({ host: proxyHost, port: proxyPort })
    let settled = false
    const fail = (error: Error): void => {
      if (settled) return
      settled = true
      socket.destroy()
      reject(error)
    }
    socket.setTimeout(timeoutMs, () =>
      fail(Object.assign(new Error('proxy CONNECT timed out'), { code: 'ETIMEDOUT' })),
    )
    socket.once('error', fail)
    socket.once('close', () =>
      fail(Object.assign(new Error('proxy closed the connection'), { code: 'ECONNRESET' })),
    )
    const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
    let request = `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n`
    if (proxy.username || proxy.password) {
      const user = decodeURIComponent(proxy.username)
      const pass = decodeURIComponent(proxy.password)
      request += `Proxy-Authorization: Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}\r\n`
    }
    socket.write(`${request}\r\n`)
    let buffered = Buffer.alloc(0)
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk])
      const end = buffered.indexOf('\r\n\r\n')
      if (end < 0) {
        if (buffered.length > MAX_PROXY_HEADER_BYTES)
          fail(new Error('the proxy answered an oversized header'))
        return
      }
      socket.off('data', onData)
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(buffered.subarray(0, end).toString('latin1'))?.[1]
      if (status !== '200') {
        const code = status === '407' ? 'EPROXYAUTH' : 'EPROXYREFUSED'
        fail(Object.assign(new Error(`the proxy refused CONNECT (HTTP ${status ?? '?'})`), { code }))
        return
      }
      const rest = buffered.subarray(end + 4)
      if (rest.length > 0) socket.unshift(rest)
      settled = true
      socket.setTimeout(0)
      socket.removeAllListeners('timeout')
      socket.off('error', fail)
      socket.removeAllListeners('close')
      resolve(socket)
    }
    socket.on('data', onData)
  })
}

/**
 * An agent whose every connection is a CONNECT tunnel through `proxy`, with TLS to the target on top for
 * `https:`/`wss:`. Used for both the `connections/open` call and the WebSocket, so corporate networks that
 * only let a proxy out work with one option.
 */
export function proxyAgent(proxy: URL, secure: boolean, timeoutMs: number): HttpAgent {
  const create = (
    options: ConnectionOptions & { host?: string | null; port?: number | string | null },
    callback: Created,
  ): undefined => {
    const host = options.servername || options.host || 'localhost'
    const port = Number(options.port) || (secure ? 443 : 80)
    connectTunnel(proxy, host, port, timeoutMs).then(
      (socket) => {
        if (!secure) return callback(null, socket)
        const tls = tlsConnect({ ...options, socket, servername: host })
        tls.once('secureConnect', () => callback(null, tls))
        tls.once('error', (error) => callback(error, tls))
      },
      (error: Error) => callback(error, undefined as unknown as Duplex),
    )
    return undefined
  }
  const agent = secure ? new HttpsAgent({ keepAlive: false }) : new HttpAgent({ keepAlive: false })
  Object.assign(agent, { createConnection: create })
  return agent
}
