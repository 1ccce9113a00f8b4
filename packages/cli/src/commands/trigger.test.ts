import { describe, expect, it } from 'vitest'
import { findEvent } from '../events'
import { likelyCause } from './trigger'

describe('trigger: why a reply is wrong', () => {
  it('names the likely cause of each failure the pusher reports', () => {
    const contact = findEvent('user_add_org')!
    const creating = findEvent('check_create_suite_url')!
    expect(likelyCause('reply signature does not match', contact)).toContain('another token')
    expect(likelyCause('reply cannot be decrypted', contact)).toContain('EncodingAESKey')
    expect(likelyCause('reply was encrypted for receive-id x', contact)).toContain('same receive-id')
    expect(likelyCause('reply decrypts to "ok"', contact)).toContain('"success"')
    expect(likelyCause('reply decrypts to "success"', creating)).toContain('"Random"')
    expect(likelyCause('reply has no encrypt', contact)).toContain('msg_signature')
    expect(likelyCause('HTTP 401', contact)).toContain('rejected the push')
    expect(likelyCause('HTTP 500', contact)).toContain('its logs')
    expect(likelyCause('timed out after 1500 ms', contact)).toContain('1500 ms')
    expect(likelyCause('connection failed: ECONNREFUSED', contact)).toContain('listening')
    expect(likelyCause('something else', contact)).toBeUndefined()
  })
})
