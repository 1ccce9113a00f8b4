import { describe, expect, it } from 'vitest'
import { DingTalkError } from '../errors/base'
import { CORPID_PLACEHOLDER, corpIdFromRequest, homePageUrl } from './corp-id'

describe('homePageUrl ($CORPID$, §3.3/§5.1)', () => {
  it('adds the placeholder before the fragment, keeping the query', () => {
    expect(homePageUrl('https://app.example.com/index.html#/home')).toBe(
      'https://app.example.com/index.html?corpid=$CORPID$#/home',
    )
    expect(homePageUrl('https://app.example.com/?a=1')).toBe('https://app.example.com/?a=1&corpid=$CORPID$')
    expect(homePageUrl('https://app.example.com/?', { param: 'corpId' })).toBe(
      'https://app.example.com/?corpId=$CORPID$',
    )
  })

  it('accepts a URL that already has exactly one placeholder before any #', () => {
    const url = `https://app.example.com/${CORPID_PLACEHOLDER}/home?x=1`
    expect(homePageUrl(url)).toBe(url)
  })

  it('rejects relative, encoded, repeated or misplaced placeholders', () => {
    for (const bad of [
      '/relative?corpid=$CORPID$',
      'ftp://example.com/',
      'https://a.example.com/?corpid=%24CORPID%24',
      'https://a.example.com/?a=$CORPID$&b=$CORPID$',
      'https://a.example.com/#/x?corpid=$CORPID$',
      'https://a.example.com/ x',
    ]) {
      expect(() => homePageUrl(bad), bad).toThrow(DingTalkError)
    }
    expect(() => homePageUrl('https://a.example.com/', { param: 'a b' })).toThrow(/not plain/)
  })
})

describe('corpIdFromRequest', () => {
  it('reads the substituted corpId from a URL string, URL or query, any case of the name', () => {
    expect(corpIdFromRequest('https://app.example.com/?corpid=ding123abc#/x')).toBe('ding123abc')
    expect(corpIdFromRequest('/index.html?a=1&corpId=dingABC_-9')).toBe('dingABC_-9')
    expect(corpIdFromRequest(new URL('https://x.example/?CORPID=ding1'))).toBe('ding1')
    expect(corpIdFromRequest(new URLSearchParams('cid=ding2'), { param: 'cid' })).toBe('ding2')
  })

  it('is undefined when missing, repeated, unsubstituted or not corpId-shaped', () => {
    expect(corpIdFromRequest('https://app.example.com/')).toBeUndefined()
    expect(corpIdFromRequest('https://app.example.com/?corpid=$CORPID$')).toBeUndefined()
    expect(corpIdFromRequest('https://app.example.com/?corpid=%24CORPID%24')).toBeUndefined()
    expect(corpIdFromRequest('https://app.example.com/?corpid=a&corpid=b')).toBeUndefined()
    expect(corpIdFromRequest('https://app.example.com/?corpid=<script>')).toBeUndefined()
    expect(corpIdFromRequest('https://app.example.com/?corpid=')).toBeUndefined()
    expect(corpIdFromRequest(`https://app.example.com/?corpid=${'a'.repeat(65)}`)).toBeUndefined()
  })
})
