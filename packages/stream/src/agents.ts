import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { proxyAgent } from './proxy'

/** The client's own HTTP agents, one plain and one secure, through the proxy when there is one. */
export class StreamAgents {
  private readonly agents = new Map<'secure' | 'plain', HttpAgent>()

  constructor(
    private readonly proxy: URL | undefined,
    private readonly timeoutMs: number,
  ) {}

  /** The agent for a URL's protocol (`http:`/`ws:` or `https:`/`wss:`). */
  for(protocol: string): HttpAgent {
    const secure = protocol === 'https:' || protocol === 'wss:'
    const key = secure ? 'secure' : 'plain'
    let agent = this.agents.get(key)
    if (!agent) {
      // Own agents without keep-alive: nothing lingers in a shared pool after close().
      agent = this.proxy
        ? proxyAgent(this.proxy, secure, this.timeoutMs)
        : secure
          ? new HttpsAgent({ keepAlive: false })
          : new HttpAgent({ keepAlive: false })
      this.agents.set(key, agent)
    }
    return agent
  }

  destroy(): void {
    for (const agent of this.agents.values()) agent.destroy()
    this.agents.clear()
  }
}
