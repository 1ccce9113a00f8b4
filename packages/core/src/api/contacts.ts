import { createDepartmentsApi, createLegacyDepartmentsApi } from './contacts-departments'
import type { ContactsApi } from './contacts-types'
import { createLegacyUsersApi, createUsersApi } from './contacts-users'
import type { ApiContext } from './context'

export type * from './contacts-types'

/** Contacts (§6): users and departments of both API generations. */
export function createContactsApi(ctx: ApiContext): ContactsApi {
  return {
    users: createUsersApi(ctx),
    departments: createDepartmentsApi(ctx),
    legacy: { users: createLegacyUsersApi(ctx), departments: createLegacyDepartmentsApi(ctx) },
  }
}
