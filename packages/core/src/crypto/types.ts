// The crypto modules' shared types, in a file that imports nothing: engines, framing and signatures use them
// without importing callback-crypto.ts, which imports them.

/** Which implementation does the AES work: `node:crypto`, or Web Crypto for hosts that have only that. */
export type CryptoBackend = 'node' | 'web'

/** A decrypted callback message. */
export interface DecryptedMessage {
  /** The plaintext, usually the event's JSON. */
  message: string
  /** The receive-id the message was encrypted for (always one of the expected ones). */
  receiveId: string
  /** The 16-byte random prefix, one character per byte (latin1). */
  random: string
}

/** The four query values DingTalk signs (§1.5, §1.6), as received. */
export interface SignatureParams {
  signature: string | undefined
  timestamp: string | undefined
  nonce: string | undefined
  encrypt: string | undefined
}
