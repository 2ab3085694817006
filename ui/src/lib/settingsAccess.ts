// 三员分立 in 系统设置: which settings each administrator may change, so the page shows the other
// group read-only (or not at all) instead of letting a save fail with `separation_of_duties`.
import { ref } from 'vue'
import type { Role, Settings } from '../api/types'

/** The sign-in and session settings: the security administrator's (the backend's SECURITY_SETTINGS). */
export const SECURITY_SETTINGS = [
  'login_lockout_failures',
  'login_lockout_minutes',
  'session_idle_minutes',
  'session_max_hours',
] as const satisfies readonly (keyof Settings)[]

export type SettingsGroup = 'system' | 'security'

export function settingGroup(key: string): SettingsGroup {
  return (SECURITY_SETTINGS as readonly string[]).includes(key) ? 'security' : 'system'
}

/**
 * Whether the centre has an active security administrator, as far as this desk has learnt it
 * (null: not known). The host does not say so directly; the system administrator learns it from
 * the `separation_of_duties` refusal of 用户管理 or of a security setting, or its absence from a
 * user list the host let them read.
 */
export const securityAdminPresent = ref<boolean | null>(null)

export interface EditableGroups {
  system: boolean
  security: boolean
}

/**
 * What `role` may change. The system administrator changes the security settings only while no
 * security administrator exists (a one-person office must still be able to set them); while
 * that is unknown the fields stay open and the page says the rule beside them.
 */
export function editableGroups(role: Role, present: boolean | null): EditableGroups {
  switch (role) {
    case 'admin':
      return { system: true, security: present !== true }
    case 'security_admin':
      return { system: false, security: true }
    default:
      return { system: false, security: false }
  }
}

/** The group a `separation_of_duties` refusal at `field` means this user may not change, if any. */
export function refusedGroup(code: string, field: string | undefined): SettingsGroup | null {
  if (code !== 'separation_of_duties' || !field) return null
  return settingGroup(field)
}
