// Inputs shared by crypto-checks.ts (run on each runtime) and runtimes.test.ts.

export const CHINESE_MESSAGE: string =
  '{"EventType":"user_add_org","UserId":["manager7078"],"备注":"张三加入了「研发部」✓ 😀"}'
export const CHINESE_RANDOM = 'ABCDEFGHabcdefgh'
export const JSAPI_INPUT = {
  ticket: 'mS5k98fdkdgDKxkXGEs8LORVREiweeWETE40P37wkidkfksDSKDJFD5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcKIDU8l',
  nonceStr: 'Zn4zmLFKD0wzilzM',
  timeStamp: '1414588745',
  url: 'http://open.dingtalk.com',
} as const
