// Typed wrappers for the administrator's operations: users and centre settings.
import { call } from './transport'
import type { PasswordResetOutput, Settings, User, UserCreateInput } from './types'

export function listUsers(): Promise<User[]> {
  return call('user_list', {})
}

export function createUser(input: UserCreateInput): Promise<User> {
  return call('user_create', input)
}

/** Disables (ending the user's sessions at once) or enables an account. */
export function setUserActive(userId: string, active: boolean): Promise<User> {
  return call('user_set_active', { user_id: userId, active })
}

/** Sets a temporary password, returned this once; the user changes it at the next sign-in. */
export function resetPassword(userId: string): Promise<PasswordResetOutput> {
  return call('user_password_reset', { user_id: userId })
}

export function getSettings(): Promise<Settings> {
  return call('settings_get', {})
}

export function saveSettings(settings: Settings): Promise<Settings> {
  return call('settings_set', settings)
}
