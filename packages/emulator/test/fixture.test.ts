import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { defaultFixture, type Fixture, loadFixture, startEmulator } from '../src/index'
import { getJson } from './helpers'

const fixturePath = new URL('../fixtures/default.json', import.meta.url)

describe('fixtures', () => {
  it('fixtures/default.json is the default fixture', () => {
    expect(JSON.parse(readFileSync(fixturePath, 'utf8'))).toEqual(defaultFixture)
  })

  it('the default fixture has a corp app with both credential styles, Chinese names, a suite and a customer', () => {
    const [org, customer] = defaultFixture.orgs
    expect(org?.corpId.startsWith('ding')).toBe(true)
    expect(org?.apps?.[0]).toMatchObject({ appKey: expect.any(String), corpSecret: expect.any(String) })
    expect(org?.users.map((u) => u.name)).toContain('张三')
    expect(customer?.apps ?? []).toEqual([])
    expect(defaultFixture.suites?.[0]?.aesKey).toMatch(/^[A-Za-z0-9]{43}$/)
  })

  it('starts from a JSON file and never mutates a fixture object', async () => {
    const fixture: Fixture = {
      orgs: [
        {
          corpId: 'dingfile',
          corpName: '文件公司',
          apps: [{ name: 'a', agentId: 1, appKey: 'filekey', appSecret: 'filesecret' }],
          departments: [{ id: 1, name: '文件公司' }],
          users: [{ userid: 'u1', name: '一号', mobile: '13000000001', department: [1] }],
        },
      ],
    }
    const path = join(mkdtempSync(join(tmpdir(), 'emu-')), 'fixture.json')
    writeFileSync(path, JSON.stringify(fixture))
    const emu = await startEmulator({ fixture: path })
    try {
      const token = await getJson(`${emu.url}/gettoken?appkey=filekey&appsecret=filesecret`)
      const user = await getJson(`${emu.url}/user/get?access_token=${token.access_token}&userid=u1`)
      expect(user).toMatchObject({ errcode: 0, name: '一号' })
      await getJson(`${emu.url}/user/delete?access_token=${token.access_token}&userid=u1`)
    } finally {
      await emu.close()
    }
    const fromObject = await startEmulator({ fixture })
    await fromObject.close()
    expect(fixture.orgs[0]?.users).toHaveLength(1)
  })

  it('rejects a file that is not a fixture', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'emu-')), 'bad.json')
    writeFileSync(path, '{"users":[]}')
    expect(() => loadFixture(path)).toThrow(/orgs/)
  })
})
