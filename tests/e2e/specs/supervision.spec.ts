// Supervision in a real browser against a real `xinfang serve`: the supervisor sees overdue
// matters, sends 督办 and finds it on the case timeline; a handler accepts and answers a matter
// through the workflow dialog, with a missing delivery date shown at its field and nothing lost;
// the indicators open the cases behind a figure.
import { appUrl, expect, formItem, login, screenshot, test } from './fixtures'

test.describe.configure({ mode: 'serial' })

let overdueNumber = ''

function inFuture(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000)
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}

test('the administrator sets the phone number printed on notices and sees the holiday calendar', async ({ page }) => {
  await login(page, 'admin', process.env.XINFANG_ADMIN_PASSWORD)
  await page.getByRole('link', { name: /系统设置/ }).click()
  await formItem(page, '咨询电话').locator('input').fill('0571-88886666')
  await page.getByTestId('settings-save').click()
  await expect(page.getByText('设置已保存')).toBeVisible()
  await expect(page.getByText('节假日安排')).toBeVisible()
  await expect(page.getByRole('heading', { name: '候访设置' })).toBeVisible()
  await expect(page.locator('#sec-hall').locator('..')).toContainText('接待的队列')
  await expect(page.locator('.el-table', { hasText: '国务院办公厅通知/2025-11-04' })).toBeVisible()
  await screenshot(page, '24-settings')
})

test('the supervisor sees overdue matters and sends 督办, which the case timeline shows', async ({ page }) => {
  await login(page, 'chenjing')
  await page.getByRole('link', { name: /时限监督/ }).click()
  const overdue = page.getByTestId('bucket-overdue')
  await expect(overdue).toHaveAttribute('aria-selected', 'true')
  await expect(overdue.locator('.bucket-count')).not.toHaveText('0')
  const table = page.getByTestId('clock-table')
  const firstRow = table.locator('.el-table__body tr').first()
  await expect(firstRow).toContainText('逾期')
  overdueNumber = (await firstRow.locator('.case-number').innerText()).trim()
  await screenshot(page, '20-supervision')

  await page.getByTestId(`supervise-${overdueNumber}`).first().click()
  const dialog = page.getByTestId('workflow-dialog')
  await expect(dialog.getByText('催办 / 督办')).toBeVisible()
  await formItem(dialog, '被督办单位（默认当前承办单位）').locator('input').fill('县人社局')
  await formItem(dialog, '督办要求').locator('textarea').fill('请于限期内书面告知信访人并报送办理情况')
  // 督办 without a finish-by date is refused at that field; what was typed stays.
  await dialog.getByTestId('workflow-submit').click()
  await expect(formItem(dialog, '限期（督办必填）')).toContainText('请填写督办限期')
  await expect(formItem(dialog, '督办要求').locator('textarea')).toHaveValue('请于限期内书面告知信访人并报送办理情况')
  const due = formItem(dialog, '限期（督办必填）').locator('input')
  await due.fill(inFuture(10))
  await due.press('Enter')
  await dialog.getByTestId('workflow-submit').click()
  await expect(page.getByText('催办 / 督办已记录')).toBeVisible()

  await page.goto(appUrl(`/matters/${overdueNumber}`))
  const timeline = page.getByTestId('timeline-table')
  await expect(timeline.getByText(/督办：县人社局/)).toBeVisible()
  await expect(timeline.getByText('陈静（负责人）').first()).toBeVisible()
  await expect(page.getByTestId('clocks-table')).toContainText('逾期')

  // The 督办 produces its letter: issued from the case, with its proof, and on the timeline.
  const letters = page.getByTestId('letter-options')
  const row = letters.locator('.el-table__body tr', { hasText: '督办函' })
  await expect(row).toContainText('可出具')
  await row.getByTestId('issue-supervise_letter').click()
  const preview = page.getByTestId('letter-preview')
  await expect(preview.getByTestId('letter-facts')).toContainText(/已出具：共\d页，文书校验码 [0-9a-f]{12}，/)
  await expect(preview.locator('iframe')).toHaveAttribute('src', /^blob:/)
  await preview.getByRole('button', { name: '关闭', exact: true }).click()
  await expect(page.getByTestId('issued-letters')).toContainText('督办函')
  await expect(timeline.getByText(/出具督办函（校验码/)).toBeVisible()
  await screenshot(page, '21-supervised-case')
})

test('a handler accepts and answers a matter; a missing delivery date is shown at its field', async ({ page }) => {
  await login(page, 'zhaomin')
  await page.goto(appUrl(`/matters/${overdueNumber}`))
  await page.getByTestId('actions-button').click()
  await page.getByTestId('action-accept').click()
  const dialog = page.getByTestId('workflow-dialog')
  await dialog.getByTestId('workflow-submit').click()
  await expect(page.getByText('受理已记录')).toBeVisible()
  await expect(page.getByTestId('clocks-table')).toContainText('办结期限')
  await expect(page.getByText('已受理').first()).toBeVisible()

  await page.getByTestId('actions-button').click()
  await page.getByTestId('action-answer').click()
  await expect(dialog.getByText('答复（处理意见书）')).toBeVisible()
  await formItem(dialog, '意见概要').locator('textarea').fill('经核查，已责成相关单位限期解决')
  await expect(async () => {
    await dialog.getByTestId('item-0').locator('.el-select__wrapper').click()
    await page.locator('.el-select-dropdown__item:visible', { hasText: /^\s*支持\s*$/ }).first().click({ timeout: 2_000 })
    await expect(dialog.getByTestId('item-0')).toContainText('支持', { timeout: 1_000 })
  }).toPass({ timeout: 10_000 })
  await formItem(dialog, '送达方式').locator('input').fill('直接送达')
  await dialog.getByTestId('workflow-submit').click()
  await expect(formItem(dialog, '送达日期')).toContainText('送达日期')
  await expect(formItem(dialog, '意见概要').locator('textarea')).toHaveValue('经核查，已责成相关单位限期解决')
  const delivered = formItem(dialog, '送达日期').locator('input')
  await delivered.fill(inFuture(0))
  await delivered.press('Enter')
  await dialog.getByTestId('workflow-submit').click()
  await expect(page.getByText('答复（处理意见书）已记录')).toBeVisible()
  await expect(page.getByText('已答复').first()).toBeVisible()
  await expect(page.getByTestId('clocks-table')).toContainText('申请复查期限')
  await screenshot(page, '22-answered-case')
})

test('the indicators open the cases behind a figure', async ({ page }) => {
  await login(page, 'chenjing')
  await page.getByRole('link', { name: /考核指标/ }).click()
  const table = page.getByTestId('indicator-table')
  await expect(table.getByText('及时受理率')).toBeVisible()
  await expect(table.getByText('网上信访占比')).toBeVisible()
  const row = table.locator('.el-table__body tr', { hasText: '重复信访率' })
  await row.locator('td').nth(3).getByRole('button').click()
  const drill = page.getByRole('dialog', { name: /重复信访率/ })
  await expect(drill).toBeVisible()
  await expect(drill.locator('.case-number').first()).toBeVisible()
  await drill.getByRole('button', { name: '关闭此对话框' }).click()

  // This month's report: figures, charts, and the Excel file.
  await page.getByTestId('report-show').click()
  await expect(page.getByTestId('report-totals')).toContainText('登记事项')
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-export').click()])
  expect(download.suggestedFilename()).toMatch(/信访工作\d{4}年\d{1,2}月报告\.xlsx$/)
  const [pdf] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-pdf').click()])
  expect(pdf.suggestedFilename()).toMatch(/信访工作\d{4}年\d{1,2}月报告\.pdf$/)
  await screenshot(page, '23-indicators')
})

test('a handler puts a dispute on the risk register; only a supervisor may close it off', async ({ page }) => {
  await login(page, 'zhaomin')
  await page.getByRole('link', { name: /矛盾纠纷排查/ }).click()
  await page.getByTestId('risk-new').click()
  const dialog = page.getByRole('dialog', { name: '登记矛盾纠纷' })
  await formItem(dialog, '名称').locator('input').fill('东风社区拆迁补偿纠纷')
  await formItem(dialog, '基本情况').locator('textarea').fill('二十余户居民对补偿标准有异议')
  await formItem(dialog, '责任人').locator('input').fill('东风街道 王主任')
  await formItem(dialog, '化解措施 / 进展').locator('textarea').fill('组织听证，逐户核算')
  // Without a deadline the host names the field; the text stays.
  await dialog.getByTestId('risk-submit').click()
  await expect(formItem(dialog, '化解时限')).toContainText('请填写化解时限')
  await expect(formItem(dialog, '名称').locator('input')).toHaveValue('东风社区拆迁补偿纠纷')
  const deadline = formItem(dialog, '化解时限').locator('input')
  await deadline.fill(inFuture(2))
  await deadline.press('Enter')
  await dialog.getByText('列入重大不稳定问题清单').click()
  await dialog.getByTestId('risk-submit').click()
  const table = page.getByTestId('risk-table')
  const row = table.locator('.el-table__body tr', { hasText: '东风社区拆迁补偿纠纷' })
  await expect(row).toContainText('临期')
  await expect(row).toContainText('重大不稳定问题')
  await expect(row.getByRole('button', { name: '销号' })).toHaveCount(0)
})

test('the supervisor closes the dispute off (销号) with its result', async ({ page }) => {
  await login(page, 'chenjing')
  await page.getByRole('link', { name: /矛盾纠纷排查/ }).click()
  const row = page.getByTestId('risk-table').locator('.el-table__body tr', { hasText: '东风社区拆迁补偿纠纷' })
  await row.getByRole('button', { name: '销号' }).click()
  const close = page.getByRole('dialog', { name: '销号' })
  await formItem(close, '化解结果').locator('textarea').fill('全部达成协议并签字')
  await close.getByTestId('risk-submit').click()
  await expect(row).toHaveCount(0)
  await page.getByText('含已销号').click()
  await expect(row).toContainText('已销号')
  await screenshot(page, '25-risks')
})
