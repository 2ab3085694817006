// The ONLY module that knows how to reach the backend: Tauri IPC inside the desktop app, HTTP to
// the serving host otherwise. Everything it throws is an `ApiError` with a Chinese message.

import type { ApiErrorBody, OperationName, Operations } from './types'
import { zh } from '../i18n/zh-CN'

/** A failed operation, whatever the wire: `code` to branch on, `message` to show, `field` to point at. */
export class ApiError extends Error {
  readonly code: string
  readonly field?: string
  /** Technical detail for the console and support, never shown as the main message. */
  readonly detail?: string

  constructor(code: string, message: string, field?: string, detail?: string) {
    super(message)
    this.name = 'ApiError'
    this.code = code
    this.field = field || undefined
    this.detail = detail
  }
}

interface TauriInternals {
  invoke(cmd: string, args?: Record<string, unknown>): Promise<unknown>
}

declare global {
  interface Window {
    __TAURI_INTERNALS__?: TauriInternals
  }
}

/** How long to wait for the centre host. The LAN is unreliable; a clerk must not wait forever. */
export const REQUEST_TIMEOUT_MS = 30_000

const TOKEN_KEY = 'xinfang.token'

// The token lives in sessionStorage: it survives a page reload (so a reload never loses the
// sign-in and the form draft together) but not the closing of the browser on a shared desk PC.
let token: string | null = readStoredToken()
let unauthenticatedHandler: ((operation: OperationName) => void) | null = null
let passwordChangeHandler: (() => void) | null = null

function readStoredToken(): string | null {
  try {
    return globalThis.sessionStorage?.getItem(TOKEN_KEY) ?? null
  } catch {
    return null
  }
}

/** Sets (or clears, with null) the bearer token sent with every call. */
export function setToken(value: string | null): void {
  token = value
  try {
    if (value) sessionStorage.setItem(TOKEN_KEY, value)
    else sessionStorage.removeItem(TOKEN_KEY)
  } catch {
    // Storage can be disabled (private mode, policy); the in-memory token still works.
  }
}

export function getToken(): string | null {
  return token
}

/**
 * Called when any operation other than signing in or out answers `unauthenticated`, so the app can ask for
 * the password again on top of the current page instead of navigating away from a half-filled form.
 */
export function setUnauthenticatedHandler(handler: ((operation: OperationName) => void) | null): void {
  unauthenticatedHandler = handler
}

/**
 * Called when the host refuses a call with `password_change_required`: the user still has an
 * initial or reset password, and the app asks for a new one on top of the current page.
 */
export function setPasswordChangeHandler(handler: (() => void) | null): void {
  passwordChangeHandler = handler
}

/** The Chinese fallback text for an error code. */
export function messageForCode(code: string): string {
  return zh.errors[code] ?? zh.errors.unknown
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string'
  )
}

function fromBody(body: ApiErrorBody): ApiError {
  const message = typeof body.message === 'string' && body.message.trim() ? body.message : messageForCode(body.code)
  const field = typeof body.field === 'string' ? body.field : undefined
  return new ApiError(body.code, message, field)
}

/**
 * Turns anything a call can fail with into an `ApiError`: an error body from HTTP or Tauri, a
 * JSON string of one (Tauri serialises some errors that way), a network failure, or a bug.
 */
export function toApiError(raw: unknown): ApiError {
  if (raw instanceof ApiError) return raw
  if (isErrorBody(raw)) return fromBody(raw)
  if (typeof raw === 'string') {
    try {
      const parsed: unknown = JSON.parse(raw)
      if (isErrorBody(parsed)) return fromBody(parsed)
    } catch {
      // Not JSON: a plain message from the shell, kept as detail.
    }
    return new ApiError('internal', messageForCode('internal'), undefined, raw)
  }
  if (raw instanceof DOMException && raw.name === 'AbortError') {
    return new ApiError('timeout', messageForCode('timeout'))
  }
  // fetch rejects with a TypeError when the host cannot be reached at all.
  if (raw instanceof TypeError) {
    return new ApiError('unreachable', messageForCode('unreachable'), undefined, raw.message)
  }
  const detail = raw instanceof Error ? raw.message : String(raw)
  return new ApiError('internal', messageForCode('internal'), undefined, detail)
}

/** The error for an HTTP status whose body was not an error body (a proxy page, an empty reply). */
export function errorForStatus(status: number): ApiError {
  if (status === 401) return new ApiError('unauthenticated', messageForCode('unauthenticated'))
  if (status === 403) return new ApiError('forbidden', messageForCode('forbidden'))
  if (status === 413) return new ApiError('too_large', messageForCode('too_large'))
  // A gateway between desk and host answering for a host that is down.
  if (status === 502 || status === 503 || status === 504) {
    return new ApiError('unreachable', messageForCode('unreachable'), undefined, `HTTP ${status}`)
  }
  return new ApiError('internal', messageForCode('internal'), undefined, `HTTP ${status}`)
}

function tauriInternals(): TauriInternals | undefined {
  return typeof window !== 'undefined' ? window.__TAURI_INTERNALS__ : undefined
}

/** True inside the desktop app. */
export function isDesktopApp(): boolean {
  return tauriInternals() !== undefined
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ApiError('timeout', messageForCode('timeout'))), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (err: unknown) => {
        clearTimeout(timer)
        reject(err)
      },
    )
  })
}

/**
 * The token to send with `name`. Never with sign-in: the host checks any bearer token before it
 * runs the operation, so a stale one would make signing in again fail as "unauthenticated".
 */
function tokenFor(name: OperationName): string | null {
  return name === 'auth_login' ? null : token
}

async function callHttp(name: OperationName, input: unknown): Promise<unknown> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' }
  const bearer = tokenFor(name)
  if (bearer) headers.Authorization = `Bearer ${bearer}`
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS)
  let text: string
  let status: number
  let ok: boolean
  try {
    const response = await fetch(`/api/v1/ops/${encodeURIComponent(name)}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(input ?? {}),
      signal: controller.signal,
      cache: 'no-store',
      credentials: 'same-origin',
    })
    status = response.status
    ok = response.ok
    text = await response.text()
  } catch (err) {
    if (controller.signal.aborted) throw new ApiError('timeout', messageForCode('timeout'))
    throw toApiError(err instanceof TypeError ? err : new TypeError(String(err)))
  } finally {
    clearTimeout(timer)
  }
  let body: unknown = undefined
  if (text) {
    try {
      body = JSON.parse(text)
    } catch {
      body = undefined
    }
  }
  if (!ok) {
    const err = isErrorBody(body) ? fromBody(body) : errorForStatus(status)
    // A browser on the LAN that has not paired with the host: the host's own pairing form sets
    // the desk cookie and comes back here.
    if (err.code === 'desk_not_paired' && typeof window !== 'undefined') window.location.assign('/pair')
    throw err
  }
  if (body === undefined) {
    throw new ApiError('internal', messageForCode('internal'), undefined, 'empty or non-JSON response')
  }
  return body
}

/** Codes that mean the host could not be reached at all (as opposed to refusing a request). */
export const CONNECTION_CODES: readonly string[] = ['unreachable', 'timeout']

type ConnectionListener = (reachable: boolean) => void
const connectionListeners = new Set<ConnectionListener>()

/** Hears whether the last call reached the host; the connection banner listens. */
export function onConnectionChange(listener: ConnectionListener): () => void {
  connectionListeners.add(listener)
  return () => connectionListeners.delete(listener)
}

function reportConnection(reachable: boolean): void {
  for (const listener of connectionListeners) listener(reachable)
}

/**
 * Asks the host whether it is there without signing in or changing anything: an empty sign-in is
 * refused by the host's own validation, and any answer from the host means it is reachable.
 */
export async function probeHost(): Promise<boolean> {
  try {
    await call('auth_login', { username: '', password: '' })
    return true
  } catch (err) {
    return !CONNECTION_CODES.includes((err as ApiError).code)
  }
}

/**
 * Runs one operation of the backend. Resolves to its typed output; rejects with an `ApiError`
 * (never anything else), so a form can show the message at `field` and keep what was typed.
 */
export async function call<K extends OperationName>(
  name: K,
  input: Operations[K]['input'],
): Promise<Operations[K]['output']> {
  try {
    const tauri = tauriInternals()
    const output = tauri
      ? await withTimeout(tauri.invoke('op_call', { name, input: input ?? {}, token: tokenFor(name) }), REQUEST_TIMEOUT_MS)
      : await callHttp(name, input)
    reportConnection(true)
    return output as Operations[K]['output']
  } catch (raw) {
    const err = toApiError(raw)
    reportConnection(!CONNECTION_CODES.includes(err.code))
    // Signing in or out with a dead session is no reason to ask for the password again.
    if (err.code === 'unauthenticated' && name !== 'auth_login' && name !== 'auth_logout') unauthenticatedHandler?.(name)
    if (err.code === 'password_change_required') passwordChangeHandler?.()
    throw err
  }
}

/** The desktop shell's own state (not an operation of the register). */
export interface ShellStatus {
  mode: 'host' | 'desk' | null
  initialised: boolean
  host_url: string | null
  /** Desk mode: the pinned fingerprint of the host's certificate. */
  host_fingerprint: string | null
  /** Desk mode: whether this desk is paired with its host. */
  paired: boolean
  /** Host mode, serving the LAN: the bound address. */
  lan_listen: string | null
  /** Host mode, serving the LAN with TLS: the fingerprint desks type in. */
  lan_fingerprint: string | null
  /** Host mode: why the LAN server did not start. */
  lan_error: string | null
  data_dir: string
  error: ApiErrorBody | null
}

/** The first-start choice sent to the desktop shell. */
export interface ShellSetup {
  mode: 'host' | 'desk'
  host_url?: string
  host_fingerprint?: string
  pairing_code?: string
  centre_code?: string
  centre_name?: string
  admin_password?: string
  serve_lan?: string
}

/** Inside the desktop app: which mode it runs in and whether the register exists. Null in a browser. */
export async function shellStatus(): Promise<ShellStatus | null> {
  const tauri = tauriInternals()
  if (!tauri) return null
  try {
    return (await tauri.invoke('app_status')) as ShellStatus
  } catch (raw) {
    throw toApiError(raw)
  }
}

/** Inside the desktop app: saves the first-start choice (and creates the register on a host). */
export async function shellSetup(input: ShellSetup): Promise<ShellStatus> {
  const tauri = tauriInternals()
  if (!tauri) throw new ApiError('not_desktop', messageForCode('internal'))
  try {
    return (await tauri.invoke('app_setup', { input })) as ShellStatus
  } catch (raw) {
    throw toApiError(raw)
  }
}

/** Runs one of the desktop shell's own commands for the signed-in user. */
async function shellCommand<T>(command: string, args: Record<string, unknown> = {}): Promise<T> {
  const tauri = tauriInternals()
  if (!tauri) throw new ApiError('not_desktop', messageForCode('internal'))
  try {
    return (await tauri.invoke(command, { token, ...args })) as T
  } catch (raw) {
    throw toApiError(raw)
  }
}

/** Inside the desktop app, host mode: a one-time code that pairs one LAN desk (administrators only). */
export function shellPairCode(): Promise<string> {
  return shellCommand<string>('lan_pair_code')
}

/** A desk paired with this host: `id` names it (a prefix of its token's hash, not the token). */
export interface PairedDesk {
  id: string
  peer: string
  paired_at: string
  revoked_at: string | null
}

/** Inside the desktop app, host mode: the desks paired with this host, newest first. */
export function shellPairedDesks(): Promise<PairedDesk[]> {
  return shellCommand<PairedDesk[]>('lan_desks')
}

/** Inside the desktop app, host mode: revokes a paired desk at once; it must pair again. */
export function shellRevokeDesk(id: string): Promise<PairedDesk> {
  return shellCommand<PairedDesk>('lan_desk_revoke', { id })
}

/** What the host's change feed says: a counter that moves with every change, and its topic. */
export interface Change {
  seq: number
  topic: 'hall' | 'register'
}

/**
 * Hears every change of the register on the host, within milliseconds: server-sent events in a
 * browser (EventSource reconnects by itself), the shell's long poll inside the desktop app.
 * Returns the function that stops listening. Carries no data: listeners re-read what they show.
 */
export function subscribeChanges(listener: (change: Change) => void): () => void {
  const tauri = tauriInternals()
  if (!tauri) {
    if (typeof EventSource === 'undefined') return () => {}
    const source = new EventSource('/api/v1/changes')
    source.addEventListener('change', (event) => {
      try {
        listener(JSON.parse((event as MessageEvent<string>).data) as Change)
      } catch {
        // A malformed event is skipped; the next one carries the counter again.
      }
    })
    return () => source.close()
  }
  let stopped = false
  let after: number | null = null
  const loop = async () => {
    while (!stopped) {
      try {
        const change = (await tauri.invoke('changes_wait', { after })) as Change
        if (stopped) break
        if (after !== null && change.seq !== after) listener(change)
        after = change.seq
      } catch {
        // The host is away (the banner says so); ask again in a moment.
        await new Promise((resolve) => setTimeout(resolve, 3000))
      }
    }
  }
  void loop()
  return () => {
    stopped = true
  }
}
