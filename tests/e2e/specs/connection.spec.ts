// The host goes away mid-registration: a banner says so on every screen, what was typed stays,
// the app retries by itself, and once the host is back the same form saves. A real second
// `xinfang serve` on the shared register is killed and started again — no stubbed network.
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { test, expect } from '@playwright/test'
import { DEMO_PASSWORD, chooseOption, screenshot } from './fixtures'

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

function startServer(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.env.XINFANG_E2E_BIN!,
    ['--data', process.env.XINFANG_E2E_DATA!, 'serve', '--listen', `127.0.0.1:${port}`, '--ui', process.env.XINFANG_E2E_UI!],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening on')) resolve(child)
    })
    child.once('exit', (code) => reject(new Error(`server exited early (${code})`)))
  })
}

test('a lost host shows a banner, keeps the form, retries, and saves once the host is back', async ({ page }) => {
  const problems: string[] = []
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
  page.on('console', (msg) => {
    if (msg.type() !== 'error' && msg.type() !== 'warning') return
    // While the host is down every retry is refused by the network; that is the point here.
    if (/Failed to load resource: (net::ERR_CONNECTION_REFUSED|the server responded with a status of 4\d\d)/.test(msg.text())) return
    problems.push(`console.${msg.type()}: ${msg.text()}`)
  })

  const port = await freePort()
  let server = await startServer(port)
  try {
    const base = `http://127.0.0.1:${port}`
    await page.goto(`${base}/#/login`)
    await page.getByLabel('用户名').fill('wangfang')
    await page.getByLabel('密码', { exact: true }).fill(DEMO_PASSWORD)
    await page.getByLabel('密码', { exact: true }).press('Enter')
    await expect(page.getByTestId('current-user')).toContainText('王芳')
    await page.goto(`${base}/#/matters/new`)
    const first = page.getByTestId('petitioner-0')
    await first.getByLabel('姓名').fill('宁守义')
    await first.getByLabel('现住址').fill('县河西村三组')
    await chooseOption(page, '信访目的', '求决')
    await page.getByLabel('概况').fill('反映河西村饮水工程停水问题')
    await page.getByLabel('诉求').fill('要求尽快恢复供水')
    await page.getByLabel('事实和理由').fill('本月初起全村停水，已近两周。')

    server.kill('SIGKILL')
    await new Promise((resolve) => server.once('exit', resolve))
    await page.getByLabel('事实和理由').press('Control+Enter')
    const banner = page.getByTestId('connection-banner')
    await expect(banner).toBeVisible()
    await expect(banner).toContainText('连接已中断')
    await expect(page.getByLabel('概况')).toHaveValue('反映河西村饮水工程停水问题')
    await expect(first.getByLabel('姓名')).toHaveValue('宁守义')
    await expect(page.getByTestId('saved-number')).toHaveCount(0)
    await screenshot(page, '12-host-lost')

    server = await startServer(port)
    // The banner goes by itself: the app keeps trying the host every few seconds.
    await expect(banner).toBeHidden({ timeout: 15_000 })
    await page.getByLabel('事实和理由').press('Control+Enter')
    await expect(page.getByTestId('saved-number')).toHaveText(/^XF\d{4}-\d{4}-\d{6}$/)
  } finally {
    server.kill('SIGTERM')
  }
  expect(problems, 'browser console errors, warnings or page errors').toEqual([])
})
