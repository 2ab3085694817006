// Tests for the transport: HTTP and Tauri paths, and how every kind of failure becomes an ApiError.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  ApiError,
  REQUEST_TIMEOUT_MS,
  call,
  errorForStatus,
  setPasswordChangeHandler,
  setToken,
  setUnauthenticatedHandler,
  toApiError,
} from './transport'

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

const fetchMock = vi.fn<typeof fetch>()

beforeEach(() => {
  fetchMock.mockReset()
  vi.stubGlobal('fetch', fetchMock)
  setToken(null)
  setUnauthenticatedHandler(null)
  delete window.__TAURI_INTERNALS__
})

afterEach(() => {
  vi.unstubAllGlobals()
  vi.useRealTimers()
})

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError)
    return err as ApiError
  }
  throw new Error('expected the call to fail')
}

describe('call over HTTP', () => {
  it('posts JSON to /api/v1/ops/{name} with the bearer token and returns the output', async () => {
    setToken('tok-1')
    fetchMock.mockResolvedValue(jsonResponse(200, { ok: true }))
    await expect(call('auth_logout', { token: 'tok-1' })).resolves.toEqual({ ok: true })
    const [url, init] = fetchMock.mock.calls[0]
    expect(url).toBe('/api/v1/ops/auth_logout')
    expect(init?.method).toBe('POST')
    expect(JSON.parse(String(init?.body))).toEqual({ token: 'tok-1' })
    expect((init?.headers as Record<string, string>).Authorization).toBe('Bearer tok-1')
  })

  it('never sends a (possibly stale) token with sign-in', async () => {
    setToken('stale')
    fetchMock.mockResolvedValue(jsonResponse(200, { token: 't', user: {} }))
    await call('auth_login', { username: 'a', password: 'b' })
    const headers = fetchMock.mock.calls[0][1]?.headers as Record<string, string>
    expect(headers.Authorization).toBeUndefined()
  })

  it('turns an error body into an ApiError with code, Chinese message and field', async () => {
    fetchMock.mockResolvedValue(
      jsonResponse(422, {
        code: 'invalid_id_number',
        message: '身份证号码校验位不正确',
        field: 'petitioners[0].person.id_number',
      }),
    )
    const err = await failure(call('matter_register', { channel: 'letter', purpose: 'demand', matter_class: 'appeal_demand' }))
    expect(err.code).toBe('invalid_id_number')
    expect(err.message).toBe('身份证号码校验位不正确')
    expect(err.field).toBe('petitioners[0].person.id_number')
  })

  it('falls back to the Chinese text of the code when the message is empty', async () => {
    fetchMock.mockResolvedValue(jsonResponse(409, { code: 'conflict', message: '' }))
    const err = await failure(call('user_list', {}))
    expect(err.code).toBe('conflict')
    expect(err.message).toBe('与已有记录冲突')
    expect(err.field).toBeUndefined()
  })

  it('reports a host that cannot be reached as `unreachable`, in Chinese', async () => {
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'))
    const err = await failure(call('session_me', {}))
    expect(err.code).toBe('unreachable')
    expect(err.message).toMatch(/无法连接/)
    expect(err.message).toMatch(/不会丢失/)
  })

  it('treats a gateway error page (no error body) as unreachable', async () => {
    fetchMock.mockResolvedValue(new Response('<html>Bad Gateway</html>', { status: 502 }))
    const err = await failure(call('session_me', {}))
    expect(err.code).toBe('unreachable')
  })

  it('reports a 200 that is not JSON as an internal error', async () => {
    fetchMock.mockResolvedValue(new Response('<html>index</html>', { status: 200 }))
    const err = await failure(call('session_me', {}))
    expect(err.code).toBe('internal')
  })

  it('gives up after the timeout with `timeout`', async () => {
    vi.useFakeTimers()
    fetchMock.mockImplementation(
      (_url, init) =>
        new Promise((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))
        }),
    )
    const pending = failure(call('session_me', {}))
    await vi.advanceTimersByTimeAsync(REQUEST_TIMEOUT_MS + 1)
    expect((await pending).code).toBe('timeout')
  })

  it('tells the app when the session has expired, except for sign-in itself', async () => {
    const handler = vi.fn()
    setUnauthenticatedHandler(handler)
    fetchMock.mockImplementation(async () => jsonResponse(401, { code: 'unauthenticated', message: '登录已失效' }))
    await failure(call('matter_search', {}))
    expect(handler).toHaveBeenCalledWith('matter_search')
    handler.mockClear()
    await failure(call('auth_login', { username: 'a', password: 'b' }))
    expect(handler).not.toHaveBeenCalled()
  })

  it('tells the app when the host wants the initial password changed first', async () => {
    const handler = vi.fn()
    setPasswordChangeHandler(handler)
    fetchMock.mockImplementation(async () => jsonResponse(403, { code: 'password_change_required', message: '请先修改密码' }))
    const err = await failure(call('matter_search', {}))
    expect(err.code).toBe('password_change_required')
    expect(handler).toHaveBeenCalledTimes(1)
    setPasswordChangeHandler(null)
  })
})

describe('call inside the desktop app', () => {
  it('invokes op_call with name, input and token', async () => {
    const invoke = vi.fn().mockResolvedValue([{ code: 'letter', name: '来信' }])
    window.__TAURI_INTERNALS__ = { invoke }
    setToken('tok-2')
    await expect(call('codes_list', { table: 'channels' })).resolves.toEqual([{ code: 'letter', name: '来信' }])
    expect(invoke).toHaveBeenCalledWith('op_call', { name: 'codes_list', input: { table: 'channels' }, token: 'tok-2' })
    expect(fetchMock).not.toHaveBeenCalled()
  })

  it('normalises a rejection object into an ApiError', async () => {
    window.__TAURI_INTERNALS__ = {
      invoke: vi.fn().mockRejectedValue({ code: 'required', message: '请填写概况', field: 'summary' }),
    }
    const err = await failure(call('matter_register', { channel: 'letter', purpose: 'demand', matter_class: 'suggestion' }))
    expect([err.code, err.message, err.field]).toEqual(['required', '请填写概况', 'summary'])
  })

  it('normalises a rejection that is a JSON string, or a plain string', async () => {
    window.__TAURI_INTERNALS__ = {
      invoke: vi.fn().mockRejectedValue(JSON.stringify({ code: 'forbidden', message: '引导员无权执行此操作' })),
    }
    expect((await failure(call('user_list', {}))).code).toBe('forbidden')
    window.__TAURI_INTERNALS__ = { invoke: vi.fn().mockRejectedValue('command op_call not found') }
    const err = await failure(call('user_list', {}))
    expect(err.code).toBe('internal')
    expect(err.detail).toBe('command op_call not found')
    expect(err.message).toMatch(/系统内部错误/)
  })
})

describe('toApiError and errorForStatus', () => {
  it('passes ApiErrors through and wraps anything else', () => {
    const original = new ApiError('x', 'y')
    expect(toApiError(original)).toBe(original)
    expect(toApiError(new Error('boom')).code).toBe('internal')
    expect(toApiError(undefined).code).toBe('internal')
  })

  it('maps bare statuses to codes', () => {
    expect(errorForStatus(401).code).toBe('unauthenticated')
    expect(errorForStatus(403).code).toBe('forbidden')
    expect(errorForStatus(413).code).toBe('too_large')
    expect(errorForStatus(504).code).toBe('unreachable')
    expect(errorForStatus(500).code).toBe('internal')
  })
})
