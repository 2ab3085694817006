// The 同步 panel in a real browser against a real `xinfang serve`: the administrator points the
// centre at a county hub, a mistyped address and enrolment code are shown at their fields with
// nothing lost, and when the hub cannot be reached the panel says so in Chinese while the
// centre's events wait — the desk itself goes on working.
import { appUrl, expect, formItem, login, screenshot, test } from './fixtures'

test('the administrator configures the county hub and sees an unreachable hub reported with events waiting', async ({ page }) => {
  await login(page, 'admin', process.env.XINFANG_ADMIN_PASSWORD)
  await page.goto(appUrl('/admin/sync'))
  await expect(page.getByRole('heading', { name: '与县级枢纽同步' })).toBeVisible()
  await expect(page.getByTestId('sync-status')).toContainText('尚未设置县级枢纽')

  // A wrong address and a short code: each refused at its own field, both kept as typed.
  await page.getByTestId('sync-hub-url').fill('ftp://县里')
  await page.getByTestId('sync-code').fill('ABCD-1234')
  await page.getByRole('button', { name: '保存设置', exact: true }).click()
  await expect(formItem(page, '县级枢纽地址')).toContainText('http://')
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
