// Starts the real backend for the flows: a fresh register with demo data, `xinfang serve` on a loopback port.
//
// Nothing is built here: target/debug/xinfang and ui/dist must exist (run.sh builds the UI; the
// caller builds the binary). The server's address and a few facts about the demo data are handed
// to the tests through environment variables, which the worker processes inherit.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const ADMIN_PASSWORD = 'e2e-admin-pass-2026'

function xinfang(bin: string, args: string[]): string {
  const result = spawnSync(bin, args, { encoding: 'utf8' })
  if (result.status !== 0) {
    throw new Error(`xinfang ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`)
  }
  return result.stdout
}

function waitForListening(server: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => reject(new Error(`xinfang serve did not start in 30 s\n${out}\n${err}`)), 30_000)
    server.stdout?.setEncoding('utf8')
    server.stderr?.setEncoding('utf8')
    server.stdout?.on('data', (chunk: string) => {
      out += chunk
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (match) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    server.stderr?.on('data', (chunk: string) => {
      err += chunk
      // Server-side errors during the run are worth seeing next to the failing test.
      process.stderr.write(`[xinfang] ${chunk}`)
    })
    server.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`xinfang serve exited early with ${code}\n${out}\n${err}`))
    })
  })
}

async function api<T>(base: string, name: string, input: unknown, token?: string): Promise<T> {
  const response = await fetch(`${base}/api/v1/ops/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(input),
  })
  const body = await response.json()
  if (!response.ok) throw new Error(`${name}: ${JSON.stringify(body)}`)
  return body as T
}

/** A petitioner of a demo repeat matter: their ID number and the numbers of their matters. */
async function findReturningPerson(base: string): Promise<{ idNumber: string; name: string; numbers: string[] }> {
  const { token } = await api<{ token: string }>(base, 'auth_login', { username: 'wangfang', password: 'demo-pass-2026' })
  const page = await api<{ items: { number: string }[] }>(base, 'matter_search', { repeat_only: true, limit: 20 }, token)
  for (const row of page.items) {
    const detail = await api<{ petitioners: { id_number?: string | null; name: string }[] }>(
      base,
      'matter_get',
      { number: row.number },
      token,
    )
    const person = detail.petitioners.find((p) => p.id_number && /^\d{17}[\dX]$/.test(p.id_number))
    if (!person?.id_number) continue
    const found = await api<{ matters: { number: string }[] }[]>(base, 'person_lookup', { id_number: person.id_number }, token)
    const numbers = found[0]?.matters.map((m) => m.number) ?? []
    if (numbers.length >= 2) return { idNumber: person.id_number, name: person.name, numbers }
  }
  throw new Error('the demo data has no returning petitioner with an ID number')
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  const bin = process.env.XINFANG_BIN ?? path.join(repoRoot, 'target', 'debug', 'xinfang')
  const uiDir = path.join(repoRoot, 'ui', 'dist')
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`cargo build -p xinfang-server\` first`)
  if (!existsSync(path.join(uiDir, 'index.html'))) throw new Error(`${uiDir} is missing: run \`npm run build\` in ui/ first`)

  const dataDir = mkdtempSync(path.join(tmpdir(), 'xinfang-e2e-'))
  xinfang(bin, ['--data', dataDir, 'init', '--admin-password', ADMIN_PASSWORD])
  xinfang(bin, ['--data', dataDir, 'demo', '--cases', '200'])

  const server = spawn(bin, ['--data', dataDir, 'serve', '--listen', '127.0.0.1:0', '--ui', uiDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let base: string
  try {
    base = await waitForListening(server)
  } catch (err) {
    server.kill('SIGTERM')
    rmSync(dataDir, { recursive: true, force: true })
    throw err
  }
  server.removeAllListeners('exit')

  const returning = await findReturningPerson(base)
  process.env.XINFANG_BASE_URL = base
  process.env.XINFANG_ADMIN_PASSWORD = ADMIN_PASSWORD
  process.env.XINFANG_RETURNING = JSON.stringify(returning)
  // For tests that run a server of their own on the same register (the connection-loss flow).
  process.env.XINFANG_E2E_BIN = bin
  process.env.XINFANG_E2E_DATA = dataDir
  process.env.XINFANG_E2E_UI = uiDir

  return async () => {
    await new Promise<void>((resolve) => {
      if (server.exitCode !== null) return resolve()
      const timer = setTimeout(() => {
        server.kill('SIGKILL')
        resolve()
      }, 10_000)
      server.once('exit', () => {
        clearTimeout(timer)
        resolve()
      })
      server.kill('SIGTERM')
    })
    rmSync(dataDir, { recursive: true, force: true })
  }
}
