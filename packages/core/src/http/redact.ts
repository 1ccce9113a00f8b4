export const REDACTED = '[redacted]'

const SECRET_KEY =
  /secret|token|ticket|aes_?key|encodingaeskey|password|permanent_?code|auth_?code|signature|^code$/i

/** Whether a parameter name holds a secret (tokens, tickets, secrets, auth codes, AES keys). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key)
}

/**
 * Remembers every secret value the client has handled (credentials, tokens, tickets) and removes
 * them from any text or structure, on top of redacting secret-named keys.
 */
export class Redactor {
  readonly #values = new Set<string>()
  readonly #limit: number

  constructor(limit = 64) {
    this.#limit = limit
  }

  remember(value: string | undefined): void {
    if (!value || value.length < 4 || this.#values.has(value)) return
    this.#values.add(value)
    if (this.#values.size > this.#limit) {
      const oldest = this.#values.values().next().value
      if (oldest !== undefined) this.#values.delete(oldest)
    }
  }

  text(input: string): string {
    let out = input
    for (const value of this.#values) if (out.includes(value)) out = out.replaceAll(value, REDACTED)
    return out
  }

  value(input: unknown, depth = 0): unknown {
    if (typeof input === 'string') return this.text(input)
    if (input === null || typeof input !== 'object' || depth > 8) return input
    if (Array.isArray(input)) return input.map((item) => this.value(item, depth + 1))
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(input)) {
      out[key] = isSecretKey(key) ? REDACTED : this.value(item, depth + 1)
    }
    return out
  }

  url(input: string): string {
    const url = new URL(input)
    for (const key of [...url.searchParams.keys()]) {
      if (isSecretKey(key)) url.searchParams.set(key, REDACTED)
    }
    return this.text(url.toString().replaceAll(encodeURIComponent(REDACTED), REDACTED))
  }
}
