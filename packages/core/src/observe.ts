/**
 * The shape of every observer seam: runs `run` exactly once around some work (e.g. inside a tracing
 * context) and returns what it returns. `subject` describes the work and is complete when `run` settles.
 *
 * @example
 * ```ts
 * const timed: Around<{ path: string }> = async (call, run) => {
 *   const started = performance.now()
 *   try {
 *     return await run()
 *   } finally {
 *     console.log(call.path, performance.now() - started)
 *   }
 * }
 * ```
 */
export type Around<S> = <T>(subject: S, run: () => Promise<T>) => Promise<T>

/**
 * Observers added at run time and the composition of their methods, one field per method name: `undefined`
 * while no observer has that method, so the observed code pays one property read and nothing else. The first
 * observer added is the outermost.
 */
export class ObserverSet<O extends object> {
  readonly #list: O[] = []
  readonly #names: readonly (keyof O & string)[]
  /** The composed `around` methods, by name. */
  readonly around: { [K in keyof O]?: Around<SubjectOf<O[K]>> } = {}

  constructor(names: readonly (keyof O & string)[]) {
    this.#names = names
  }

  add(observer: O): () => void {
    this.#list.push(observer)
    this.#compose()
    let removed = false
    return () => {
      if (removed) return
      removed = true
      const index = this.#list.indexOf(observer)
      if (index >= 0) this.#list.splice(index, 1)
      this.#compose()
    }
  }

  #compose(): void {
    for (const name of this.#names) {
      const fns: Around<unknown>[] = []
      for (const observer of this.#list) {
        const method = observer[name]
        if (typeof method === 'function') {
          const around = method as Around<unknown>
          fns.push(
            <T>(subject: unknown, run: () => Promise<T>) => around.call(observer, subject, run) as Promise<T>,
          )
        }
      }
      this.around[name] = chain(fns) as Around<SubjectOf<O[typeof name]>> | undefined
    }
  }
}

/** The subject type of an observer method `<T>(subject: S, run) => Promise<T>`. */
export type SubjectOf<M> = M extends ((subject: infer S, run: () => Promise<never>) => unknown) | undefined
  ? S
  : never

function chain(fns: readonly Around<unknown>[]): Around<unknown> | undefined {
  if (fns.length <= 1) return fns[0]
  return (subject, run) => {
    let next = run
    for (let i = fns.length - 1; i >= 0; i--) {
      const fn = fns[i] as Around<unknown>
      const inner = next
      next = () => fn(subject, inner)
    }
    return next()
  }
}
