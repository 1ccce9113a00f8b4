import { createRequire } from 'node:module'
import { createCallbackCrypto } from '@dingtalk-kit/core'
import { baselineOpen, baselineReply, contactEvent, signedPush } from './crypto'
import { type BenchOptions, type Comparison, compare } from './lib'

// The npm packages that do DingTalk's callback crypto today, measured on the same payloads in the same run.
const require = createRequire(import.meta.url)

interface DingTalkEncryptor {
  getDecryptMsg(signature: string, timestamp: string, nonce: string, encrypt: string): string
  getEncryptedMap(message: string, timeStamp: string, nonce: string): Record<string, string>
  decrypt(encrypt: string): string
  encrypt(random: string, message: string): string
}
interface WxBizMsgCrypt {
  getSignature(timestamp: string, nonce: string, encrypt: string): string
  decrypt(encrypt: string): { message: string; id: string }
  encrypt(message: string): string
}
interface WecomCrypto {
  getSignature(token: string, timestamp: string, nonce: string, encrypt: string): string
  decrypt(aesKey: string, encrypt: string): { message: string; id: string }
  encrypt(aesKey: string, message: string, id: string): string
}

const DingTalkEncryptorClass = require('dingtalk-encrypt') as new (
  token: string,
  aesKey: string,
  id: string,
) => DingTalkEncryptor
const WxBizMsgCryptClass = require('wechat-crypto') as new (
  token: string,
  aesKey: string,
  id: string,
) => WxBizMsgCrypt
const wecom = require('@wecom/crypto') as WecomCrypto

const TOKEN = 'bench-token'
const AES_KEY = '4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij'
const CORP_ID = 'dingbench0000000001'

interface Peer {
  name: string
  /** verify the signature, decrypt, check the receive-id: what a user of the package has to write */
  open(q: { signature: string; timestamp: string; nonce: string; encrypt: string }): string
  /** encrypt "success" and sign the reply */
  reply(): Record<string, string>
  encrypt(message: string): string
  decrypt(encrypt: string): string
  lessWork: string
}

function peers(): Peer[] {
  const dte = new DingTalkEncryptorClass(TOKEN, AES_KEY, CORP_ID)
  const wx = new WxBizMsgCryptClass(TOKEN, AES_KEY, CORP_ID)
  return [
    {
      name: 'dingtalk-encrypt 1.2.3',
      open: (q) => dte.getDecryptMsg(q.signature, q.timestamp, q.nonce, q.encrypt),
      reply: () => dte.getEncryptedMap('success', String(Date.now()), 'nEXhMP4r'),
      encrypt: (m) => dte.encrypt('1234567890123456', m),
      decrypt: (e) => dte.decrypt(e),
      lessWork:
        'pure-JS AES (crypto-js); no padding-consistency check (a pad byte outside 1–32 is ignored); the signature is compared with `!==` (not constant time); it `encodeURI`s the plaintext before encrypting and `decodeURI`s after decrypting, so its ciphertext is not what DingTalk sends and non-ASCII text does not round-trip with DingTalk',
    },
    {
      name: 'wechat-crypto 0.0.2',
      open: (q) => {
        if (wx.getSignature(q.timestamp, q.nonce, q.encrypt) !== q.signature) throw new Error('signature')
        const { message, id } = wx.decrypt(q.encrypt)
        if (id !== CORP_ID) throw new Error('receive-id')
        return message
      },
      reply: () => {
        const encrypt = wx.encrypt('success')
        const timeStamp = String(Date.now())
        return {
          msg_signature: wx.getSignature(timeStamp, 'nEXhMP4r', encrypt),
          timeStamp,
          nonce: 'nEXhMP4r',
          encrypt,
        }
      },
      encrypt: (m) => wx.encrypt(m),
      decrypt: (e) => wx.decrypt(e).message,
      lessWork:
        'no receive-id check (returns the id; the caller compares — done here), no padding-consistency or length-field check (an overrunning length returns the message with the receive-id glued on), signature compare left to the caller (`!==` here)',
    },
    {
      name: '@wecom/crypto 1.0.1',
      open: (q) => {
        if (wecom.getSignature(TOKEN, q.timestamp, q.nonce, q.encrypt) !== q.signature)
          throw new Error('signature')
        const { message, id } = wecom.decrypt(AES_KEY, q.encrypt)
        if (id !== CORP_ID) throw new Error('receive-id')
        return message
      },
      reply: () => {
        const encrypt = wecom.encrypt(AES_KEY, 'success', CORP_ID)
        const timeStamp = String(Date.now())
        return {
          msg_signature: wecom.getSignature(TOKEN, timeStamp, 'nEXhMP4r', encrypt),
          timeStamp,
          nonce: 'nEXhMP4r',
          encrypt,
        }
      },
      encrypt: (m) => wecom.encrypt(AES_KEY, m, CORP_ID),
      decrypt: (e) => wecom.decrypt(AES_KEY, e).message,
      lessWork:
        'parses the key on every call; no receive-id check (done here), no padding-consistency or length-field check, signature compare left to the caller (`!==` here)',
    },
  ]
}

export interface Interop {
  peer: string
  oursDecryptsTheirs: string
  theyDecryptOurs: string
  lessWork: string
}

/** Same algorithm? Each peer's ciphertext through our decrypt, ours through theirs, ASCII and Chinese. */
export async function interop(): Promise<Interop[]> {
  const ours = createCallbackCrypto({ token: TOKEN, aesKey: AES_KEY, receiveId: CORP_ID })
  const out: Interop[] = []
  for (const peer of peers()) {
    const verdicts: string[] = []
    const back: string[] = []
    for (const message of ['{"EventType":"check_url"}', '{"EventType":"user_add_org","Name":"张三"}']) {
      const label = /[^\x20-\x7e]/.test(message) ? 'Chinese' : 'ASCII'
      try {
        const got = (await ours.decrypt(peer.encrypt(message))).message
        verdicts.push(`${label}: ${got === message ? 'yes' : `no (got ${JSON.stringify(got.slice(0, 40))})`}`)
      } catch (error) {
        verdicts.push(`${label}: no (${(error as Error).message.slice(0, 60)})`)
      }
      try {
        const got = peer.decrypt(await ours.encrypt(message))
        back.push(`${label}: ${got === message ? 'yes' : `no (got ${JSON.stringify(got.slice(0, 40))})`}`)
      } catch (error) {
        back.push(`${label}: no (${(error as Error).message.slice(0, 60)})`)
      }
    }
    out.push({
      peer: peer.name,
      oursDecryptsTheirs: verdicts.join('; '),
      theyDecryptOurs: back.join('; '),
      lessWork: peer.lessWork,
    })
  }
  return out
}

export async function benchPeers(options: BenchOptions): Promise<Comparison[]> {
  const ours = createCallbackCrypto({ token: TOKEN, aesKey: AES_KEY, receiveId: CORP_ID })
  const results: Comparison[] = []
  const q = await signedPush(contactEvent(400))
  for (const peer of peers()) {
    if (peer.open(q) !== (await ours.open(q)).message)
      throw new Error(`${peer.name} disagrees on the 400 B event`)
    results.push(
      await compare(
        `decrypt+verify ~400 B: dingtalk-kit vs ${peer.name}`,
        { name: 'dingtalk-kit', fn: () => ours.open(q) },
        { name: peer.name, fn: () => peer.open(q) },
        { ...options, goal: 1 },
      ),
    )
    results.push(
      await compare(
        `encrypt+sign "success": dingtalk-kit vs ${peer.name}`,
        { name: 'dingtalk-kit', fn: () => ours.reply() },
        { name: peer.name, fn: () => peer.reply() },
        { ...options, goal: 1 },
      ),
    )
  }
  // The ceiling: the hand-written node:crypto baseline against the fastest way each peer could go.
  results.push(
    await compare(
      'decrypt+verify ~400 B: wechat-crypto vs the node:crypto baseline (the ceiling)',
      { name: 'wechat-crypto', fn: () => peers()[1]!.open(q) },
      { name: 'node:crypto baseline', fn: () => baselineOpen(q) },
      options,
    ),
  )
  results.push(
    await compare(
      'encrypt+sign "success": @wecom/crypto vs the node:crypto baseline (the ceiling)',
      { name: '@wecom/crypto', fn: () => peers()[2]!.reply() },
      { name: 'node:crypto baseline', fn: () => baselineReply('success') },
      options,
    ),
  )
  return results
}
