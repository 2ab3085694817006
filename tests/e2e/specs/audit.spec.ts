// 三员分立 and 审计记录 in a real browser: the system administrator appoints a security and an audit
// administrator, a wrong password is tried, the audit administrator finds it and the user creation,
// filters and exports; the security administrator reviews the audit administrator's reads and
// creates a user; from then on user accounts are refused to the system administrator.
//
// This file runs after accounts.spec.ts and leaves an active security administrator behind: later
// flows that open 用户管理 as the system administrator see the separation notice.
import { test, expect, appUrl, chooseOption, formItem, login, screenshot } from './fixtures'
import type { Locator, Page } from '@playwright/test'

test.describe.configure({ mode: 'serial' })

const stamp = Date.now().toString(36)
const SEC = { username: `anquan${stamp}`, name: '安全管理员甲', initial: 'Anquan-init-2026', own: 'Anquan-own-2026' }
const AUD = { username: `shenji${stamp}`, name: '审计管理员乙', initial: 'Shenji-init-2026', own: 'Shenji-own-2026' }
const GUIDE = { username: `yindao${stamp}`, name: '引导员丙', initial: 'Yindao-init-2026' }

async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: '退出登录' }).click()
  await expect(page.getByLabel('用户名')).toBeVisible()
}

/** Chooses the role in the 新建用户 dialog; its label reads ★角色, so the select is found by its form item. */
async function chooseRole(page: Page, dialog: Locator, roleName: string): Promise<void> {
  const role = formItem(dialog, '角色')
  await expect(async () => {
    if (!(await page.locator('.el-select-dropdown__item:visible').count())) await role.locator('.el-select__wrapper').click()
    await page.locator('.el-select-dropdown__item:visible', { hasText: new RegExp(`^\\s*${roleName}\\s*$`) }).first().click({ timeout: 2_000 })
    await expect(role.locator('.el-select__placeholder:not(.is-transparent)')).toContainText(roleName, { timeout: 1_000 })
  }).toPass({ timeout: 10_000 })
}

/** Creates a user in 用户管理; `listed` false when the page will no longer list users afterwards. */
async function createUser(page: Page, user: { username: string; name: string; initial: string }, roleName: string, listed = true): Promise<void> {
  await page.getByRole('button', { name: '新建用户' }).click()
  const dialog = page.getByRole('dialog', { name: '新建用户' })
  await dialog.getByLabel('用户名').fill(user.username)
  await dialog.getByLabel('姓名').fill(user.name)
  await chooseRole(page, dialog, roleName)
  await dialog.getByLabel('初始密码').fill(user.initial)
  await dialog.getByRole('button', { name: '保存' }).click()
  await expect(page.getByText(`已创建用户 ${user.name}`)).toBeVisible()
  if (listed) await expect(page.getByRole('row').filter({ hasText: user.username })).toContainText(roleName)
}

/** The first sign-in with the initial password: the forced change, then the desk. */
async function firstSignIn(page: Page, user: { username: string; initial: string; own: string }): Promise<void> {
  await page.goto(appUrl('/login'))
  await page.getByLabel('用户名').fill(user.username)
  await page.getByLabel('密码', { exact: true }).fill(user.initial)
  await page.getByLabel('密码', { exact: true }).press('Enter')
  const forced = page.getByTestId('forced-password')
  await expect(forced.getByLabel('原密码')).toBeFocused()
  await forced.getByLabel('原密码').fill(user.initial)
  await forced.getByLabel('新密码', { exact: true }).fill(user.own)
  await forced.getByLabel('再次输入新密码').fill(user.own)
  await forced.getByRole('button', { name: '修改密码并进入工作台' }).click()
  await expect(page.getByTestId('current-user')).toBeVisible()
}

function auditRows(page: Page): Locator {
  return page.getByTestId('audit-table').locator('tbody tr')
}

async function searchAudit(page: Page): Promise<void> {
  await page.getByTestId('audit-search').click()
  await expect(page.getByTestId('audit-total')).toBeVisible()
}

test('the system administrator appoints a security and an audit administrator, offered by their Chinese names', async ({ page }) => {
  await login(page, 'admin', process.env.XINFANG_ADMIN_PASSWORD)
  await expect(page.getByTestId('current-user')).toHaveText(/（系统管理员）/)
  await expect(page.getByTestId('role-hint')).toContainText('系统管理员负责系统设置')
  const menu = page.getByRole('navigation', { name: '主菜单' })
  await expect(menu.getByRole('link', { name: /审计记录/ })).toHaveCount(0)
  await menu.getByRole('link', { name: /用户管理/ }).click()
  await expect(page.getByRole('heading', { name: '用户管理', level: 1 })).toBeVisible()
  await createUser(page, AUD, '审计管理员')
  await screenshot(page, '60-admin-creates-auditor')
  // The security administrator's appointment hands the accounts over at once (三员分立): the
  // list the page reads again is refused, and the page says why.
  await createUser(page, SEC, '安全管理员', false)
  await expect(page.getByTestId('users-separation')).toContainText('用户账号由安全管理员管理')
})

test('a wrong password for the security administrator is refused in Chinese', async ({ page }) => {
  await page.goto(appUrl('/login'))
  await page.getByLabel('用户名').fill(SEC.username)
  await page.getByLabel('密码', { exact: true }).fill('Not-the-password-1')
  await page.getByLabel('密码', { exact: true }).press('Enter')
  await expect(page.getByRole('alert')).toContainText('用户名或密码不正确')
  await expect(page.getByTestId('current-user')).toHaveCount(0)
})

test('the audit administrator sees only 审计记录, finds the failed sign-in and the user creations, filters and exports', async ({ page }) => {
  await firstSignIn(page, AUD)
  await expect(page.getByTestId('current-user')).toHaveText(new RegExp(`${AUD.name}（审计管理员）`))
  await expect(page.getByTestId('role-hint')).toContainText('不能修改任何内容')
  // No register figures for a role that may not read matters (they would only be refused).
  await expect(page.getByTestId('stat-total')).toHaveCount(0)
  const menu = page.getByRole('navigation', { name: '主菜单' })
  await expect(menu.getByRole('link')).toHaveText([/工作台/, /审计记录/])
  // A case screen typed by address lands on the desk with a notice.
  await page.goto(appUrl('/matters'))
  await expect(page.getByText('当前角色无权使用该功能')).toBeVisible()

  await menu.getByRole('link', { name: /审计记录/ }).click()
  await expect(page.getByRole('heading', { name: '审计记录', level: 1 })).toBeVisible()
  await expect(page.getByTestId('audit-scope')).toContainText('审计管理员本身的记录由安全管理员审查')
  await expect(auditRows(page).first()).toBeVisible()

  // The failed sign-in, by user name: in words, not only in red.
  await page.getByLabel('用户', { exact: true }).fill(SEC.username)
  await page.getByLabel('用户', { exact: true }).press('Enter')
  const failed = auditRows(page).filter({ hasText: '未成功（unauthenticated）' })
  await expect(failed).toHaveCount(1)
  await expect(failed).toContainText('登录')
  await expect(failed).toContainText('安全管理员')
  await expect(failed).toContainText('用户名或密码不正确')
  await expect(failed).toContainText(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/)

  // The two creations, by operation chosen by its Chinese name.
  await page.getByLabel('用户', { exact: true }).fill('')
  await chooseOption(page, '操作', '新建用户')
  await searchAudit(page)
  for (const user of [SEC, AUD]) {
    const row = auditRows(page).filter({ hasText: user.username })
    await expect(row).toHaveCount(1)
    await expect(row).toContainText('系统管理员')
    await expect(row).toContainText('成功')
  }
  await screenshot(page, '61-audit-user-creations')

  // 未成功 only: every row says so, and the failed sign-in is among them.
  await page.getByRole('button', { name: '清空条件' }).click()
  await page.getByRole('radio', { name: '未成功' }).check({ force: true })
  await expect(page.getByRole('radio', { name: '未成功' })).toBeChecked()
  await expect(auditRows(page).filter({ hasText: SEC.username }).filter({ hasText: '未成功（unauthenticated）' }).first()).toBeVisible()
  const outcomes = await page.getByTestId('audit-table').locator('tbody tr .outcome').allInnerTexts()
  expect(outcomes.length).toBeGreaterThan(0)
  for (const text of outcomes) expect(text).toMatch(/^未成功（[a-z_]+）$/)
  await screenshot(page, '62-audit-failed-only')

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('audit-export').click()])
  expect(download.suggestedFilename()).toMatch(/^审计记录\d{12}\.xlsx$/)
  await expect(page.getByText(/已导出 审计记录\d{12}\.xlsx/)).toBeVisible()
  await signOut(page)
})

test('the security administrator reviews the audit administrator’s reads, sees only the security settings and creates a user', async ({ page }) => {
  await firstSignIn(page, SEC)
  await expect(page.getByTestId('current-user')).toHaveText(new RegExp(`${SEC.name}（安全管理员）`))
  const menu = page.getByRole('navigation', { name: '主菜单' })
  await expect(menu.getByRole('link')).toHaveText([/工作台/, /用户管理/, /安全设置/, /审计记录/])

  await menu.getByRole('link', { name: /审计记录/ }).click()
  await expect(page.getByTestId('audit-scope')).toContainText('安全管理员只查看审计管理员的操作记录')
  await page.getByLabel('用户', { exact: true }).fill(AUD.username)
  await searchAudit(page)
  // The audit administrator's reads of the trail and the export, and nobody else's rows.
  await expect(auditRows(page).filter({ hasText: '导出审计记录' }).first()).toBeVisible()
  await expect(auditRows(page).filter({ hasText: /审计记录（/ }).first()).toBeVisible()
  for (const role of await page.getByTestId('audit-table').locator('tbody tr td:nth-child(4)').allInnerTexts()) {
    expect(role.trim()).toBe('审计管理员')
  }
  await screenshot(page, '63-audit-by-security-admin')

  // 安全设置: the sign-in and session settings only, with the reason the rest is not here.
  await menu.getByRole('link', { name: /安全设置/ }).click()
  await expect(page.getByRole('heading', { name: '安全设置', level: 1 })).toBeVisible()
  await expect(page.getByTestId('settings-scope')).toContainText('由系统管理员修改')
  await expect(page.getByLabel('咨询电话')).toHaveCount(0)
  await expect(page.getByLabel('无操作自动退出（分钟）')).toBeEditable()
  await page.getByTestId('settings-save').click()
  await expect(page.getByText('设置已保存')).toBeVisible()

  await menu.getByRole('link', { name: /用户管理/ }).click()
  await createUser(page, GUIDE, '引导员')
  await signOut(page)
})

test('from then on the system administrator is told in Chinese that user accounts are the security administrator’s', async ({ page }) => {
  await login(page, 'admin', process.env.XINFANG_ADMIN_PASSWORD)
  await page.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: /用户管理/ }).click()
  const notice = page.getByTestId('users-separation')
  await expect(notice).toContainText('用户账号由安全管理员管理')
  await expect(notice).toContainText('三员分立')
  await expect(page.getByRole('button', { name: '新建用户' })).toHaveCount(0)
  await screenshot(page, '64-admin-users-separated')

  // The sign-in and session settings are now read-only for the system administrator, with the reason.
  await page.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: /系统设置/ }).click()
  await expect(page.getByTestId('security-settings-hint')).toContainText('此处只能查看')
  await expect(page.getByLabel('无操作自动退出（分钟）')).toBeDisabled()
  await expect(page.getByLabel('咨询电话')).toBeEditable()
})

test('a security setting the system administrator changes before learning of the security administrator is refused at its field and locked', async ({ page }) => {
  // Straight to 系统设置: this page has not yet learnt that a security administrator exists.
  await login(page, 'admin', process.env.XINFANG_ADMIN_PASSWORD)
  await page.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: /系统设置/ }).click()
  await expect(page.getByTestId('security-settings-hint')).toContainText('尚未设安全管理员时由系统管理员修改')
  const idle = page.getByLabel('无操作自动退出（分钟）')
  const before = await idle.inputValue()
  await idle.fill(String(Number(before) + 1))
  await idle.press('Tab')
  await page.getByTestId('settings-save').click()
  await expect(formItem(page, '无操作自动退出（分钟）')).toContainText('由安全管理员修改')
  await expect(idle).toBeDisabled()
  await expect(idle).toHaveValue(before)
  await expect(page.getByTestId('security-settings-hint')).toContainText('此处只能查看')
})
