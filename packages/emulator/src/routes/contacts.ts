import type { Routes } from '../context'
import { legacyContactRoutes } from './contacts-legacy'
import { topapiContactRoutes } from './contacts-topapi'

export { orgOf } from './contact-store'

/** Contacts (§6): the legacy department and user endpoints and their topapi (v2) generation. */
export const contactRoutes: Routes = { ...legacyContactRoutes, ...topapiContactRoutes }
