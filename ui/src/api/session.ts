// Typed wrappers for signing in and out and for "who am I": the only place that sets the token.
import { call, getToken, setToken } from './transport'
import type { LoginOutput, Me } from './types'

/** Signs in and keeps the token for every later call. */
export async function login(username: string, password: string): Promise<LoginOutput> {
  const output = await call('auth_login', { username, password })
  setToken(output.token)
  return output
}

/** The signed-in user and the centre. */
export function fetchMe(): Promise<Me> {
  return call('session_me', {})
}

/**
 * Ends the session on the host; the local token is dropped even when the host cannot be reached.
 * The call carries the token as its bearer (the host signs nobody out anonymously), so the token
 * is dropped only after it.
 */
export async function logout(): Promise<void> {
  const token = getToken()
  if (!token) return
  try {
    await call('auth_logout', { token })
  } catch {
    // Signing out must always work locally; a stale token on the host expires with its session.
  } finally {
    setToken(null)
  }
}

export function hasToken(): boolean {
  return getToken() !== null
}

/** Changes one's own password; the host names `old_password` or `new_password` on refusal. */
export function changePassword(oldPassword: string, newPassword: string): Promise<unknown> {
  return call('password_change', { old_password: oldPassword, new_password: newPassword })
}
