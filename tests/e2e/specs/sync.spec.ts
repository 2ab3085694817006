// The 同步 panel in a real browser against a real `xinfang serve`: the administrator points the
// centre at a county hub, a mistyped address and enrolment code are shown at their fields with
// nothing lost, and when the hub cannot be reached the panel says so in Chinese while the
// centre's events wait — the desk itself goes on working. Then a real county hub assigns and
// corrects, the supervisor settles a conflict, and a check-in asks the county about a person.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DEMO_PASSWORD, appUrl, expect, formItem, login, returningPerson, screenshot, swipeIdCard, test } from './fixtures'

test('the administrator configures the county hub and sees an unreachable hub reported with events waiting', async ({ page }) => {
  await login(page, 'admin', process.env.XINFANG_ADMIN_PASSWORD)
  await page.goto(appUrl('/admin/sync'))
  await expect(page.getByRole('heading', { name: '与县级枢纽同步' })).toBeVisible()
  await expect(page.getByTestId('sync-status')).toContainText('尚未设置县级枢纽')

  // A wrong address and a short code: each refused at its own field, both kept as typed.
  await page.getByTestId('sync-hub-url').fill('ftp://县里')
  await page.getByTestId('sync-code').fill('ABCD-1234')
  await page.getByRole('button', { name: '保存设置', exact: true }).click()
  await expect(formItem(page, '县级枢纽地址')).toContainText('https://')
  await expect(page.getByTestId('sync-code')).toHaveValue('ABCD-1234')

  // Nothing listens on port 9 of this machine: the hub is "unreachable".
  await page.getByTestId('sync-hub-url').fill('http://127.0.0.1:9')
  await page.getByRole('button', { name: '保存设置', exact: true }).click()
  await expect(formItem(page, '注册码')).toContainText('20 位')
  await page.getByTestId('sync-code').fill('ABCDE-FGHIJ-KLMNP-QRSTU')
  await page.getByRole('button', { name: '保存设置', exact: true }).click()
  await expect(page.getByTestId('sync-status')).toContainText('http://127.0.0.1:9')

  await page.getByTestId('sync-now').click()
  await expect(page.getByTestId('sync-error')).toBeVisible({ timeout: 15_000 })
  await expect(page.getByTestId('sync-status')).toContainText('未连接')
  await expect(page.getByTestId('sync-waiting')).not.toHaveText('0')
  await screenshot(page, '50-sync-unreachable')
})

// A real county hub: the county assigns a matter and corrects the category of a matter that
// the centre also recategorised. After 立即同步 the inbox says what became of each, the
// assigned matter is a matter of the centre, and the supervisor settles the conflict on the
// case page — the two values side by side, one click.

function hubBinary(): string {
  const bin = process.env.XINFANG_E2E_BIN
  if (!bin) throw new Error('XINFANG_E2E_BIN is not set: global-setup.ts did not run')
  return path.join(path.dirname(bin), 'xinfang-hub')
}

function hubAdmin(data: string, args: string[]): string {
  const out = spawnSync(hubBinary(), ['--data', data, ...args], { encoding: 'utf8' })
  if (out.status !== 0) throw new Error(`xinfang-hub ${args.join(' ')}: ${out.stderr}`)
  return out.stdout
}

function field(text: string, key: string): string {
  const line = text.split('\n').find((l) => l.startsWith(key))
  if (!line) throw new Error(`${key} missing in ${text}`)
  return line.slice(key.length).trim()
}

async function startHub(data: string): Promise<{ hub: ChildProcess; url: string }> {
  const hub = spawn(hubBinary(), ['--data', data, 'serve', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`the hub did not start: ${out}`)), 20_000)
    hub.stdout?.setEncoding('utf8')
    hub.stdout?.on('data', (chunk: string) => {
      out += chunk
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (match) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
  })
  return { hub, url }
}

async function op<T>(name: string, input: unknown, token?: string): Promise<T> {
  const response = await fetch(`${process.env.XINFANG_BASE_URL}/api/v1/ops/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(input),
  })
  const body = await response.json()
  if (!response.ok) throw new Error(`${name}: ${JSON.stringify(body)}`)
  return body as T
}

test('the county assigns and corrects through a real hub, and the supervisor settles a conflict', async ({ page }) => {
  test.setTimeout(180_000)
  const hubData = mkdtempSync(path.join(tmpdir(), 'xinfang-e2e-hub-'))
  const { hub, url } = await startHub(hubData)
  try {
    const { token: handler } = await op<{ token: string }>('auth_login', { username: 'zhaomin', password: DEMO_PASSWORD })
    const { token: admin } = await op<{ token: string }>('auth_login', { username: 'admin', password: process.env.XINFANG_ADMIN_PASSWORD })
    const found = await op<{ items: { id: string; number: string }[] }>('matter_search', { limit: 5 }, handler)
    const target = found.items[0]
    const before = await op<{ matter: { content_category: string | null } }>('matter_get', { matter_id: target.id }, handler)
    const local = before.matter.content_category === 'labour_social_insurance' ? 'labour_wages' : 'labour_social_insurance'
    const localName = local === 'labour_wages' ? '拖欠工资' : '社会保险'
    const centreCode = target.number.split('-')[0]

    const added = hubAdmin(hubData, ['centre', 'add', '--code', centreCode, '--name', '本中心'])
    await op('sync_configure', { hub_url: url, enrolment_code: field(added, 'enrolment_code:') }, admin)

    // The centre recategorises the matter; the county, which saw the old category, corrects it too.
    await op('matter_classify', { matter_id: target.id, content_category: local }, handler)
    const centreId = field(added, 'centre_id:')
    const publish = (kind: string, payload: unknown) => {
      const file = path.join(hubData, `${kind}.json`)
      writeFileSync(file, JSON.stringify(payload))
      hubAdmin(hubData, ['publish', '--to', centreId, '--kind', kind, '--payload', file])
    }
    publish('county.assignment', {
      reference: '某县信访局交〔2026〕88号',
      from_unit: '某县信访局',
      due_on: '2026-12-31',
      note: '请依法办理并于限期内反馈',
      matter: {
        channel: 'letter', purpose: 'demand', matter_class: 'appeal_demand',
        summary: '县里交办的路灯维修问题', request: '要求修复村口路灯', facts_reasons: '村口路灯损坏三个月无人维修。',
        petitioners: [{ person: { name: '郑海涛', id_number: '11010519491231002X', current_address: '某县某镇某村' } }],
      },
    })
    publish('county.correction', {
      reference: '某县信访局更〔2026〕5号',
      from_unit: '某县信访局',
      matter_id: target.id,
      field: 'content_category',
      was: before.matter.content_category,
      value: 'labour_pension',
    })

    await login(page, 'chenjing')
    await page.goto(appUrl('/admin/sync'))
    await page.getByTestId('sync-now').click()
    const inbox = page.locator('.panel').filter({ has: page.getByRole('heading', { name: /县级下发/ }) })
    await expect(inbox).toContainText('交办事项已登记为', { timeout: 60_000 })
    await expect(inbox).toContainText('两个值都已保留')
    await expect(inbox).toContainText('县里交办的路灯维修问题')
    await expect(page.getByTestId('sync-status')).toContainText('已连接', { timeout: 30_000 })
    await screenshot(page, '51-sync-county-inbox')

    // The assigned matter is the centre's own now, with the county on its timeline.
    await inbox.locator('tr', { hasText: '县里交办的路灯维修问题' }).getByRole('link', { name: '查看事项' }).click()
    await expect(page.getByTestId('county-directives')).toContainText('某县信访局交〔2026〕88号')
    await expect(page.getByText('县里交办的路灯维修问题').first()).toBeVisible()

    // The conflict: both values shown, the supervisor takes the county's.
    await page.goto(appUrl(`/matters/${target.number}`))
    const conflicts = page.getByTestId('conflicts')
    await expect(conflicts).toContainText(localName)
    await expect(conflicts).toContainText('养老待遇')
    await screenshot(page, '52-matter-conflict')
    await conflicts.getByRole('button', { name: '采用县级的值' }).click()
    await expect(conflicts).toContainText('已采用县级的值')
    await expect(conflicts).toContainText('陈静')

    // At check-in, the county is asked whether the person petitioned at other centres: the host
    // answers at once that it is asking, its sync worker asks the hub, and the answer follows.
    const returning = returningPerson()
    await page.goto(appUrl('/persons'))
    await swipeIdCard(page.getByLabel('证件号码', { exact: true }), returning.idNumber)
    const results = page.getByTestId('lookup-results')
    await results.getByRole('button', { name: '查询县内其他中心' }).first().click()
    await expect(results.getByTestId('county-history').first()).toContainText('县内其他中心没有此人的信访记录', { timeout: 30_000 })
    await screenshot(page, '53-county-lookup')
  } finally {
    hub.kill('SIGTERM')
    rmSync(hubData, { recursive: true, force: true })
  }
})
