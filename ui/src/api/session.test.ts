// Tests for signing out: the host is told with the session's own token, and the token is gone afterwards whatever the host says.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { getToken, setToken, setUnauthenticatedHandler } from './transport'
import { logout } from './session'

const fetchMock = vi.fn<typeof fetch>()

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

beforeEach(() => {
  fetchMock.mockReset()
  vi.stubGlobal('fetch', fetchMock)
  delete window.__TAURI_INTERNALS__
})

afterEach(() => {
  setUnauthenticatedHandler(null)
  vi.unstubAllGlobals()
})

describe('logout', () => {
  it('ends the session on the host with its own token as the bearer, then forgets it', async () => {
    setToken('tok-9')
    fetchMock.mockResolvedValue(jsonResponse(200, { ok: true }))
    await logout()
    const [url, init] = fetchMock.mock.calls[0]
    expect(url).toBe('/api/v1/ops/auth_logout')
    expect((init?.headers as Record<string, string>).Authorization).toBe('Bearer tok-9')
    expect(JSON.parse(String(init?.body))).toEqual({ token: 'tok-9' })
    expect(getToken()).toBeNull()
  })

  it('forgets an expired token without asking for the password again', async () => {
    const handler = vi.fn()
    setUnauthenticatedHandler(handler)
    setToken('expired')
    fetchMock.mockResolvedValue(jsonResponse(401, { code: 'unauthenticated', message: '登录已失效' }))
    await logout()
    expect(getToken()).toBeNull()
    expect(handler).not.toHaveBeenCalled()
  })
})
