import { DingTalkClient, type EventOf, OnDingTalkEvent, type User } from '@dingtalk-kit/nestjs'
import { Inject, Injectable } from '@nestjs/common'

/** A directory entry, kept up to date from contact events. */
export type DirectoryEntry = Pick<User, 'userId' | 'name' | 'title' | 'deptIdList'>

/** The users seen through contact events: each new or changed user is fetched through the API. */
@Injectable()
export class DirectoryService {
  readonly entries: Map<string, DirectoryEntry> = new Map()

  constructor(@Inject(DingTalkClient) private readonly client: DingTalkClient) {}

  @OnDingTalkEvent(['user_add_org', 'user_modify_org'], { from: ['callback'] })
  async upsert(event: EventOf<'user_add_org' | 'user_modify_org'>): Promise<void> {
    for (const id of event.UserId) {
      const { userId, name, title, deptIdList } = await this.client.contacts.users.get(id)
      this.entries.set(userId, { userId, name, title, deptIdList })
    }
  }

  @OnDingTalkEvent('user_leave_org', { from: ['callback'] })
  remove(event: EventOf<'user_leave_org'>): void {
    for (const id of event.UserId) this.entries.delete(id)
  }

  list(): DirectoryEntry[] {
    return [...this.entries.values()]
  }
}
