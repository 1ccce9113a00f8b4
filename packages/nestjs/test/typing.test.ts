import type { Logger } from '@nestjs/common'
import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  type CallbackLogger,
  type DingTalkClient as CoreDingTalkClient,
  DingTalkClient,
  dingTalkEventBindings,
  type EventOf,
  OnDingTalkEvent,
} from '../src/index'

class Handlers {
  @OnDingTalkEvent('user_add_org')
  added(event: EventOf<'user_add_org'>): string[] {
    return event.UserId
  }

  @OnDingTalkEvent(['org_dept_create', 'org_dept_modify'], { from: ['suiteCallback'] })
  departments(event: EventOf<'org_dept_create' | 'org_dept_modify'>): unknown[] {
    return event.DeptId
  }

  // @ts-expect-error: a department handler cannot take user events
  @OnDingTalkEvent('user_add_org')
  wrong(event: EventOf<'org_dept_create'>): unknown[] {
    return event.DeptId
  }

  // @ts-expect-error: the second event type is not one the method handles
  @OnDingTalkEvent(['user_add_org', 'org_dept_remove'])
  partly(event: EventOf<'user_add_org'>): string[] {
    return event.UserId
  }
}

describe('typing', () => {
  it('records each binding, the listened routes included', () => {
    expect(dingTalkEventBindings(Handlers.prototype.added)).toEqual([
      { types: ['user_add_org'], from: ['callback', 'suiteCallback'] },
    ])
    expect(dingTalkEventBindings(Handlers.prototype.departments)).toEqual([
      { types: ['org_dept_create', 'org_dept_modify'], from: ['suiteCallback'] },
    ])
    expect(dingTalkEventBindings(Handlers.prototype.constructor)).toEqual([])
  })

  it('takes Nest’s Logger as the callback logger', () => {
    expectTypeOf<Logger>().toExtend<CallbackLogger>()
  })

  it('the DingTalkClient token is the core client type', () => {
    expectTypeOf<DingTalkClient>().toEqualTypeOf<CoreDingTalkClient>()
    expect(typeof DingTalkClient).toBe('function')
  })
})
