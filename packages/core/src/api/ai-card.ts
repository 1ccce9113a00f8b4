import type { CardCreateInput, CardStreamingInput, CardTarget, CardUpdateInput } from './card-types'

/** The card calls an AI card makes: `CardsApi`'s, named here so that cards.ts alone imports the other. */
interface CardCalls {
  create(input: CardCreateInput): Promise<{ outTrackId: string }>
  deliver(input: { outTrackId: string; to: CardTarget; userIdType?: 1 | 2 }): Promise<unknown>
  update(input: CardUpdateInput): Promise<void>
  streamingUpdate(input: CardStreamingInput): Promise<void>
}

/**
 * The `flowStatus` values of DingTalk's AI card (the official Python Stream SDK's `AICardStatus`; §14.4
 * confirms FINISHED = `"3"`).
 *
 * @example
 * ```ts
 * await client.cards.update({ outTrackId, cardData: { flowStatus: AI_CARD_STATUS.EXECUTING } })
 * ```
 */
export const AI_CARD_STATUS = {
  PROCESSING: '1',
  INPUTING: '2',
  FINISHED: '3',
  EXECUTING: '4',
  FAILED: '5',
} as const

/**
 * What `client.cards.stream()` takes: a card to create, where to deliver it, and its streaming variable.
 *
 * @example
 * ```ts
 * const input: AiCardInput = { cardTemplateId: 'ai….schema', to: { group: cid }, key: 'msgContent' }
 * ```
 */
export interface AiCardInput extends CardCreateInput {
  to: CardTarget
  /** The template's streaming (markdown) variable (default `msgContent`, the official SDK's name). */
  key?: string
  /** Least time between two frames of this card (default 500 ms, §14.4). */
  intervalMs?: number
}

/**
 * A delivered AI card being written. `append` may be called as often as text arrives: frames go out at most
 * every `intervalMs`, each carrying the whole text so far (`isFull`), so a lost frame is repaired by the next.
 *
 * @example
 * ```ts
 * const card = await client.cards.stream({ cardTemplateId: AI_TEMPLATE, to: { user: 'manager123' } })
 * try {
 *   for await (const chunk of answer) card.append(chunk)
 *   await card.finish()
 * } catch (error) {
 *   await card.fail('生成失败，请重试')
 * }
 * ```
 */
export interface AiCard {
  readonly outTrackId: string
  /** The text so far. */
  readonly text: string
  /**
   * Adds text. The first call sets `flowStatus` INPUTING. Resolves once a frame with this text was sent;
   * rejects (as do later calls and `finish`) if sending failed. Not awaiting it is fine.
   */
  append(text: string): Promise<void>
  /** Sends the last frame (`isFinalize`) and sets FINISHED with the whole text in the card data. */
  finish(finalText?: string): Promise<void>
  /** Sets FAILED, with `message` after the text so far when given. */
  fail(message?: string): Promise<void>
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Steps 1–2 of §14.4's AI card (create with PROCESSING, deliver); the rest in the AiCard. */
export async function startAiCard(cards: CardCalls, input: AiCardInput): Promise<AiCard> {
  const { to, key = 'msgContent', intervalMs = 500, ...create } = input
  const { outTrackId } = await cards.create({
    ...create,
    cardData: { ...create.cardData, flowStatus: AI_CARD_STATUS.PROCESSING },
  })
  await cards.deliver({ outTrackId, to, ...(create.userIdType ? { userIdType: create.userIdType } : {}) })

  let text = ''
  let sent: string | undefined
  let inputing = false
  let closed = false
  let lastFrameAt = 0
  let chain: Promise<void> = Promise.resolve()
  let scheduled: Promise<void> | undefined

  const paced = async (): Promise<void> => {
    const wait = lastFrameAt + intervalMs - Date.now()
    if (wait > 0) await sleep(wait)
  }
  const inputingOnce = async (): Promise<void> => {
    if (inputing) return
    // Step 3: INPUTING before the first frame.
    await cards.update({ outTrackId, cardData: { flowStatus: AI_CARD_STATUS.INPUTING } })
    inputing = true
  }
  const frame = async (final: boolean): Promise<void> => {
    await paced()
    scheduled = undefined
    if (text === sent && !final) return
    await inputingOnce()
    const content = text
    lastFrameAt = Date.now()
    // Step 4, repeated.
    await cards.streamingUpdate({ outTrackId, key, content, isFull: true, isFinalize: final })
    sent = content
  }
  const enqueue = (work: () => Promise<void>): Promise<void> => {
    chain = chain.then(work)
    // The caller may not await: the rejection is kept in `chain` for the next call and `finish`.
    chain.catch(() => undefined)
    return chain
  }
  const close = (): void => {
    if (closed) throw new TypeError(`AI card ${outTrackId} is already finished or failed`)
    closed = true
  }

  return {
    outTrackId,
    get text() {
      return text
    },
    append(more) {
      if (closed) return Promise.reject(new TypeError(`AI card ${outTrackId} is already finished or failed`))
      text += more
      scheduled ??= enqueue(() => frame(false))
      return scheduled
    },
    async finish(finalText) {
      close()
      if (finalText !== undefined) text = finalText
      await enqueue(async () => {
        await frame(true)
        // Step 5: FINISHED, the whole text in the card data as well.
        await cards.update({ outTrackId, cardData: { [key]: text, flowStatus: AI_CARD_STATUS.FINISHED } })
      })
    },
    async fail(message) {
      close()
      await chain.catch(() => undefined)
      const shown = message === undefined ? text : text === '' ? message : `${text}\n\n${message}`
      await cards.update({ outTrackId, cardData: { [key]: shown, flowStatus: AI_CARD_STATUS.FAILED } })
    },
  }
}
