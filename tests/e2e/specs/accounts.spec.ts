// Accounts: a user the administrator created must replace the initial password before the desk opens; a reset password is shown once and a disabled user is signed out.
import { test, expect, appUrl, baseUrl, formItem, login, screenshot } from './fixtures'
import type { Page } from '@playwright/test'

async function api<T>(name: string, input: unknown, token?: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${baseUrl()}/api/v1/ops/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(input),
  })
  return { status: response.status, body: (await response.json()) as T }
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: '退出登录' }).click()
  await expect(page.getByLabel('用户名')).toBeVisible()
}

/** A user name no earlier run of the flows used (the register lives for the whole run). */
function freshName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}`
}

test('a user created by the administrator changes the initial password at the first sign-in, then reaches the desk', async ({ page }) => {
  const username = freshName('zhou')
  await login(page, 'admin', process.env.XINFANG_ADMIN_PASSWORD)
  await page.goto(appUrl('/admin/users'))
  await page.getByRole('button', { name: '新建用户' }).click()
  const dialog = page.getByRole('dialog', { name: '新建用户' })
  await dialog.getByLabel('用户名').fill(username)
  await dialog.getByLabel('姓名').fill('周琪')
  // The form item is marked required, so its label reads ★角色: the select is found by its form item.
  const role = formItem(dialog, '角色')
  await expect(async () => {
    if (!(await page.locator('.el-select-dropdown__item:visible').count())) await role.locator('.el-select__wrapper').click()
    await page.locator('.el-select-dropdown__item:visible', { hasText: /^\s*引导员\s*$/ }).first().click({ timeout: 2_000 })
    await expect(role.locator('.el-select__placeholder:not(.is-transparent)')).toContainText('引导员', { timeout: 1_000 })
  }).toPass({ timeout: 10_000 })
  await dialog.getByLabel('初始密码').fill('Zhouqi-init-2026')
  await dialog.getByRole('button', { name: '保存' }).click()
  await expect(page.getByText('已创建用户 周琪')).toBeVisible()
  const row = page.getByRole('row').filter({ hasText: username })
  await expect(row.getByText('待改密码')).toBeVisible()
  await signOut(page)

  // The first sign-in: the change form takes the place of the desk.
  await page.getByLabel('用户名').fill(username)
  await page.getByLabel('密码', { exact: true }).fill('Zhouqi-init-2026')
  await page.getByLabel('密码', { exact: true }).press('Enter')
  const forced = page.getByTestId('forced-password')
  await expect(forced.getByRole('heading', { name: '请修改初始密码' })).toBeVisible()
  await expect(forced.getByTestId('password-policy')).toContainText('至少10个字符')
  await expect(page.getByTestId('current-user')).toHaveCount(0)
  await expect(forced.getByLabel('原密码')).toBeFocused()
  // The desk cannot be reached by typing its address either.
  await page.goto(appUrl('/matters'))
  await expect(forced).toBeVisible()
  await screenshot(page, '11-forced-password')

  // Mistakes are named at their field.
  await forced.getByLabel('原密码').fill('Zhouqi-init-2026')
  await forced.getByLabel('新密码', { exact: true }).fill('Zhouqi-own-2026')
  await forced.getByLabel('再次输入新密码').fill('Zhouqi-own-2027')
  await forced.getByLabel('再次输入新密码').press('Enter')
  await expect(formItem(forced, '再次输入新密码')).toContainText('两次输入的新密码不一致')
  await forced.getByLabel('新密码', { exact: true }).fill('zhouqi20262026')
  await forced.getByLabel('再次输入新密码').fill('zhouqi20262026')
  await forced.getByRole('button', { name: '修改密码并进入工作台' }).click()
  await expect(formItem(forced, '新密码')).toContainText('至少三类')
  await forced.getByLabel('新密码', { exact: true }).fill('Zhouqi-init-2026')
  await forced.getByLabel('再次输入新密码').fill('Zhouqi-init-2026')
  await forced.getByRole('button', { name: '修改密码并进入工作台' }).click()
  await expect(formItem(forced, '新密码')).toContainText('最近5次')

  await forced.getByLabel('新密码', { exact: true }).fill('Zhouqi-own-2026')
  await forced.getByLabel('再次输入新密码').fill('Zhouqi-own-2026')
  await forced.getByRole('button', { name: '修改密码并进入工作台' }).click()
  await expect(page.getByTestId('current-user')).toHaveText(/周琪（引导员）/)
  // Back where they were heading, with the desk working.
  await expect(page).toHaveURL(/#\/matters/)
  await page.goto(appUrl('/'))
  await expect(page.getByTestId('stat-total')).toContainText(/\d+/)
  await page.reload()
  await expect(page.getByTestId('current-user')).toBeVisible()
  await signOut(page)
  await login(page, username, 'Zhouqi-own-2026')
})

test('the administrator resets a password, shown once, and a disabled user is signed out at once', async ({ page }) => {
  const username = freshName('wu')
  const admin = (await api<{ token: string }>('auth_login', { username: 'admin', password: process.env.XINFANG_ADMIN_PASSWORD })).body.token
  const created = await api<{ id: string }>('user_create', { username, display_name: '吴敏', role: 'guide', password: 'Wumin-init-2026' }, admin)
  expect(created.status).toBe(200)
  const first = (await api<{ token: string }>('auth_login', { username, password: 'Wumin-init-2026' })).body.token
  expect((await api('password_change', { old_password: 'Wumin-init-2026', new_password: 'Wumin-own-2026' }, first)).status).toBe(200)

  await login(page, 'admin', process.env.XINFANG_ADMIN_PASSWORD)
  await page.goto(appUrl('/admin/users'))
  const row = page.getByRole('row').filter({ hasText: username })
  await expect(page.getByRole('row').filter({ hasText: /^\s*admin/ }).getByText('本人')).toBeVisible()
  await row.getByTestId(`reset-${username}`).click()
  await page.getByRole('dialog').getByRole('button', { name: '确定' }).click()
  const shown = page.getByTestId('temporary-password')
  await expect(shown).toHaveText(/^[A-Za-z0-9]{12}$/)
  const temporary = (await shown.textContent())!.trim()
  await page.getByRole('button', { name: '我已记下，关闭' }).click()
  await expect(shown).toHaveCount(0)
  await expect(row.getByText('待改密码')).toBeVisible()
  // The session opened before the reset has ended; the temporary password signs in, for a change only.
  expect((await api<{ code: string }>('session_me', {}, first)).body.code).toBe('unauthenticated')
  const again = await api<{ token: string; must_change_password: boolean }>('auth_login', { username, password: temporary })
  expect(again.body.must_change_password).toBe(true)
  expect((await api<{ code: string }>('matter_search', {}, again.body.token)).body.code).toBe('password_change_required')
  expect((await api('password_change', { old_password: temporary, new_password: 'Wumin-new-2026' }, again.body.token)).status).toBe(200)
  expect((await api('matter_search', {}, again.body.token)).status).toBe(200)

  await row.getByTestId(`toggle-${username}`).click()
  await page.getByRole('dialog').getByRole('button', { name: '确定' }).click()
  await expect(page.getByText('已停用 吴敏')).toBeVisible()
  await expect(row.getByText('停用', { exact: true }).first()).toBeVisible()
  expect((await api<{ code: string }>('matter_search', {}, again.body.token)).body.code).toBe('unauthenticated')
  const refused = await api<{ code: string }>('auth_login', { username, password: 'Wumin-new-2026' })
  expect([refused.status, refused.body.code]).toEqual([403, 'disabled'])
  await expect(row.getByTestId(`toggle-${username}`)).toHaveText('启用')
})
