import { cardRoutes } from './cards'
import type { V1Routes } from './context'
import { oauth2Routes } from './oauth2'
import { robotRoutes } from './robot'
import { robotExtraRoutes } from './robot-extras'

/** Every api.dingtalk.com (v1.0) endpoint the emulator serves; add a group's table here. */
export const v1Routes: V1Routes = {
  ...robotRoutes,
  ...robotExtraRoutes,
  ...cardRoutes,
  ...oauth2Routes,
}
