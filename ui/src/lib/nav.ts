// Which screens each role may use: one table for the menu, the router guard and the shortcuts.
import type { Role } from '../api/types'
import { zh } from '../i18n/zh-CN'

/** Roles that register and change cases (the backend's CASE_WRITERS). */
export const CASE_WRITERS: readonly Role[] = ['guide', 'interviewer', 'handler', 'supervisor']
/** Roles that record handling steps (the backend's HANDLERS). */
export const HANDLERS: readonly Role[] = ['interviewer', 'handler', 'supervisor']
/** Roles that read matters and people: the desk staff and the system administrator. The
 * security and audit administrators are refused them (`forbidden`), so they never see case screens. */
export const CASE_READERS: readonly Role[] = [...CASE_WRITERS, 'admin']
/** Who may open 用户管理. The system administrator keeps the entry after a security administrator
 * exists: the host then refuses with `separation_of_duties`, and the page says why in Chinese. */
export const USER_ADMINS: readonly Role[] = ['admin', 'security_admin']
/** Who may open 系统设置: each administrator edits only their own group of settings there. */
export const SETTINGS_ADMINS: readonly Role[] = ['admin', 'security_admin']
/** Who reads the audit trail (the backend's AUDIT_READERS). */
export const AUDIT_READERS: readonly Role[] = ['security_admin', 'auditor']
/** Supervisors and the system administrator (indicators, the calendar re-check). */
export const OVERSEERS: readonly Role[] = ['supervisor', 'admin']
export const EVERYONE: readonly Role[] = [...CASE_READERS, 'security_admin', 'auditor']

export interface NavItem {
  /** Route name. */
  name: string
  path: string
  label: string
  /** The label for a role that sees the screen differently (the security administrator's 安全设置). */
  labelFor?: Partial<Record<Role, string>>
  roles: readonly Role[]
  /** Alt+key that opens it, shown in the menu. */
  shortcut?: string
}

export const NAV_ITEMS: readonly NavItem[] = [
  { name: 'home', path: '/', label: zh.nav.home, roles: EVERYONE },
  { name: 'matter-new', path: '/matters/new', label: zh.nav.matterNew, roles: CASE_WRITERS, shortcut: 'N' },
  { name: 'person-lookup', path: '/persons', label: zh.nav.personLookup, roles: CASE_READERS, shortcut: 'P' },
  { name: 'matter-search', path: '/matters', label: zh.nav.matterSearch, roles: CASE_READERS, shortcut: 'S' },
  { name: 'hall-guide', path: '/hall/guide', label: zh.nav.hallGuide, roles: CASE_WRITERS, shortcut: 'G' },
  { name: 'hall-room', path: '/hall/room', label: zh.nav.hallRoom, roles: HANDLERS, shortcut: 'R' },
  { name: 'hall-stats', path: '/hall/stats', label: zh.nav.hallStats, roles: OVERSEERS },
  { name: 'supervision', path: '/supervision', label: zh.nav.supervision, roles: HANDLERS, shortcut: 'J' },
  { name: 'risks', path: '/risks', label: zh.nav.risks, roles: HANDLERS },
  { name: 'indicators', path: '/indicators', label: zh.nav.indicators, roles: OVERSEERS },
  { name: 'admin-users', path: '/admin/users', label: zh.nav.users, roles: USER_ADMINS },
  {
    name: 'admin-settings',
    path: '/admin/settings',
    label: zh.nav.systemSettings,
    labelFor: { security_admin: zh.nav.securitySettings },
    roles: SETTINGS_ADMINS,
  },
  { name: 'admin-sync', path: '/admin/sync', label: zh.nav.sync, roles: OVERSEERS },
  { name: 'admin-audit', path: '/admin/audit', label: zh.nav.audit, roles: AUDIT_READERS },
]

/** The menu of a role, in menu order, each item labelled as that role sees it. */
export function navFor(role: Role): NavItem[] {
  return NAV_ITEMS.filter((item) => item.roles.includes(role)).map((item) => {
    const label = item.labelFor?.[role]
    return label ? { ...item, label } : item
  })
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
