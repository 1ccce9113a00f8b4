/**
 * Retry policy of the client’s requests. A token-invalid replay (§4.5) happens once and does not count.
 *
 * @example
 * ```ts
 * createDingTalkClient(credentials, { retry: { maxRetries: 2, baseDelayMs: 500, maxDelayMs: 4000 } })
 * ```
 */
export interface RetryOptions {
  /** Retries after the first attempt, for -1, rate limits and (idempotent calls) transport failures. Default 3. */
  maxRetries?: number
  /** First backoff delay; doubled per retry, with jitter (§10: 1 s, 2 s, 4 s). Default 1000 ms. */
  baseDelayMs?: number
  /** Upper bound of one delay. Default 8000 ms. */
  maxDelayMs?: number
}

/** {@link RetryOptions} with the defaults filled in. */
export function retryPolicy(options: RetryOptions | undefined): Required<RetryOptions> {
  return {
    maxRetries: options?.maxRetries ?? 3,
    baseDelayMs: options?.baseDelayMs ?? 1000,
    maxDelayMs: options?.maxDelayMs ?? 8000,
  }
}

/** The delay before retry number `retryIndex` (0-based): doubling from `baseDelayMs`, half of it jitter (§10). */
export function backoffDelay(policy: Required<RetryOptions>, retryIndex: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retryIndex)
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2)
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
