// The signed-in user for the whole app, the "sign in again" state after a session expires, and
// whether the user must first replace an initial or reset password (`me.must_change_password`).
import { computed, reactive } from 'vue'
import type { Me, Role } from './api/types'
import { changePassword, fetchMe, hasToken, login, logout } from './api/session'
import { clearCodeCache } from './api/codes'
import { setPasswordChangeHandler, setUnauthenticatedHandler } from './api/transport'

interface SessionState {
  me: Me | null
  /** True after a call answered `unauthenticated` while signed in: ask for the password in place. */
  reauthNeeded: boolean
}

export const session = reactive<SessionState>({ me: null, reauthNeeded: false })

export const currentRole = computed<Role | null>(() => session.me?.user.role ?? null)

// A session that ends while a clerk is typing must not take them to the login page: the form
// stays where it is and a dialog asks for the password (see ReauthDialog.vue).
setUnauthenticatedHandler(() => {
  if (session.me) session.reauthNeeded = true
})

// The host refuses everything but changing the password while it is an initial one; the app
// then asks for a new one (the login page, or a dialog over the current page).
setPasswordChangeHandler(() => {
  if (session.me) session.me.must_change_password = true
})

/** Whether the desk must be kept closed until the user has chosen their own password. */
export const mustChangePassword = computed<boolean>(() => session.me?.must_change_password ?? false)

/**
 * Changes the signed-in user's password, tells `changed` (while the form that asked is still
 * there), then re-reads the user: a forced change then lets them in.
 */
export async function changeOwnPassword(oldPassword: string, newPassword: string, changed: () => void): Promise<void> {
  await changePassword(oldPassword, newPassword)
  changed()
  session.me = await fetchMe()
}

export async function signIn(username: string, password: string): Promise<void> {
  await login(username, password)
  session.me = await fetchMe()
  session.reauthNeeded = false
}

/** Signs in again as the same user after the session expired. */
export async function reauthenticate(password: string): Promise<void> {
  const username = session.me?.user.username
  if (!username) throw new Error('no user to re-authenticate')
  await login(username, password)
  session.me = await fetchMe()
  session.reauthNeeded = false
}

/** Restores the user after a page reload, from the token kept in sessionStorage. */
export async function restoreSession(): Promise<boolean> {
  if (session.me) return true
  if (!hasToken()) return false
  try {
    session.me = await fetchMe()
    return true
  } catch {
    // An expired token or an unreachable host: the login page explains either on the next try.
    return false
  }
}

export async function signOut(): Promise<void> {
  await logout()
  session.me = null
  session.reauthNeeded = false
  clearCodeCache()
}
