// Which screens each role may use: one table for the menu, the router guard and the shortcuts.
import type { Role } from '../api/types'
import { zh } from '../i18n/zh-CN'

/** Roles that register and change cases (the backend's CASE_WRITERS). */
export const CASE_WRITERS: readonly Role[] = ['guide', 'interviewer', 'handler', 'supervisor']
/** Roles that record handling steps (the backend's HANDLERS). */
export const HANDLERS: readonly Role[] = ['interviewer', 'handler', 'supervisor']
export const ADMINS: readonly Role[] = ['admin']
/** Supervisors and administrators (indicators, the calendar re-check). */
export const OVERSEERS: readonly Role[] = ['supervisor', 'admin']
export const EVERYONE: readonly Role[] = ['guide', 'interviewer', 'handler', 'supervisor', 'admin']

export interface NavItem {
  /** Route name. */
  name: string
  path: string
  label: string
  roles: readonly Role[]
  /** Alt+key that opens it, shown in the menu. */
  shortcut?: string
}

export const NAV_ITEMS: readonly NavItem[] = [
  { name: 'home', path: '/', label: zh.nav.home, roles: EVERYONE },
  { name: 'matter-new', path: '/matters/new', label: zh.nav.matterNew, roles: CASE_WRITERS, shortcut: 'N' },
  { name: 'person-lookup', path: '/persons', label: zh.nav.personLookup, roles: EVERYONE, shortcut: 'P' },
  { name: 'matter-search', path: '/matters', label: zh.nav.matterSearch, roles: EVERYONE, shortcut: 'S' },
  { name: 'hall-guide', path: '/hall/guide', label: zh.nav.hallGuide, roles: CASE_WRITERS, shortcut: 'G' },
  { name: 'hall-room', path: '/hall/room', label: zh.nav.hallRoom, roles: HANDLERS, shortcut: 'R' },
  { name: 'hall-stats', path: '/hall/stats', label: zh.nav.hallStats, roles: OVERSEERS },
  { name: 'supervision', path: '/supervision', label: zh.nav.supervision, roles: HANDLERS, shortcut: 'J' },
  { name: 'risks', path: '/risks', label: zh.nav.risks, roles: HANDLERS },
  { name: 'indicators', path: '/indicators', label: zh.nav.indicators, roles: OVERSEERS },
  { name: 'admin-users', path: '/admin/users', label: zh.nav.users, roles: ADMINS },
  { name: 'admin-settings', path: '/admin/settings', label: zh.nav.systemSettings, roles: ADMINS },
  { name: 'admin-sync', path: '/admin/sync', label: zh.nav.sync, roles: OVERSEERS },
]

/** The menu of a role, in menu order. */
export function navFor(role: Role): NavItem[] {
  return NAV_ITEMS.filter((item) => item.roles.includes(role))
}

/** Whether `role` may open a route that allows `roles` (no list = any signed-in user). */
export function mayOpen(role: Role, roles: readonly Role[] | undefined): boolean {
  return !roles || roles.includes(role)
}

/** The menu item an Alt+key opens for this role, if any. */
export function shortcutTarget(role: Role, key: string): NavItem | undefined {
  const upper = key.toUpperCase()
  return navFor(role).find((item) => item.shortcut === upper)
}
