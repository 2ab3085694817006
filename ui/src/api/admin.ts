// Typed wrappers for the administrator's operations: users and centre settings.
import { call } from './transport'
import type { Settings, User, UserCreateInput } from './types'

export function listUsers(): Promise<User[]> {
  return call('user_list', {})
}

export function createUser(input: UserCreateInput): Promise<User> {
  return call('user_create', input)
}

export function getSettings(): Promise<Settings> {
  return call('settings_get', {})
}

export function saveSettings(settings: Settings): Promise<Settings> {
  return call('settings_set', settings)
}
