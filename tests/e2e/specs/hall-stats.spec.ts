// 候访统计 in a real browser: a ticket is issued, called and served through the API, then the
// supervisor opens the page from the menu, sees today's counts move by exactly that visitor,
// and downloads the Excel workbook. Other flows may have used the hall today, so the counts are
// compared with what the page showed before, not with fixed numbers.
import { appUrl, baseUrl, DEMO_PASSWORD, expect, login, screenshot, test } from './fixtures'
import type { Page } from '@playwright/test'

async function api<T>(name: string, input: unknown, token?: string): Promise<T> {
  const response = await fetch(`${baseUrl()}/api/v1/ops/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(input),
  })
  const body = await response.json()
  if (!response.ok) throw new Error(`${name}: ${JSON.stringify(body)}`)
  return body as T
}

async function signIn(username: string): Promise<string> {
  return (await api<{ token: string }>('auth_login', { username, password: DEMO_PASSWORD })).token
}

async function totals(page: Page): Promise<{ tickets: number; served: number }> {
  const read = async (key: string) => Number((await page.getByTestId(`total-${key}`).innerText()).trim())
  return { tickets: await read('tickets'), served: await read('served') }
}

test('the supervisor sees a served visitor in 候访统计 and exports it', async ({ page }) => {
  await login(page, 'chenjing')
  await page.getByRole('link', { name: '候访统计' }).click()
  await expect(page.getByRole('heading', { name: '候访统计', level: 1 })).toBeVisible()
  await expect(page.getByTestId('hall-stats-totals')).toBeVisible()
  const before = await totals(page)

  // The guide issues a ticket; an interviewer calls the next visitor (another flow may have
  // left an earlier one waiting), starts and records the interview.
  const guide = await signIn('wangfang')
  const interviewer = await signIn('lijun')
  await api('ticket_issue', { queue: 'general', name: '统计测试', visitors: 2 }, guide)
  const setup = await api<{ rooms: { id: string; queues: string[] }[] }>('hall_setup_get', {}, interviewer)
  const room = setup.rooms.find((r) => r.queues.includes('general'))
  if (!room) throw new Error('no room serves 综合接待')
  await api('hall_room_state', { room_id: room.id, state: 'open' }, interviewer)
  const called = await api<{ id: string }>('ticket_call_next', { room_id: room.id }, interviewer)
  await api('ticket_start', { ticket_id: called.id }, interviewer)
  await api(
    'interview_record',
    { ticket_id: called.id, disposition: 'answered', request: '咨询', facts: '无', summary: '已当场解释' },
    interviewer,
  )

  await page.getByTestId('hall-stats-compute').click()
  await expect(page.getByTestId('total-tickets')).toHaveText(String(before.tickets + 1))
  await expect(page.getByTestId('total-served')).toHaveText(String(before.served + 1))
  // Served today, so a service time was measured.
  await expect(page.getByTestId('total-service_mean_minutes')).toContainText('分钟')
  await expect(page.getByTestId('hall-stats-by-queue')).toContainText('综合接待')
  await expect(page.getByTestId('hall-stats-by-hour')).toContainText(':00–')
  await expect(page.locator('.channel-chart canvas')).toBeVisible()
  await screenshot(page, '40-hall-stats')

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('hall-stats-export').click()])
  expect(download.suggestedFilename()).toMatch(/候访统计\d{4}-\d{2}-\d{2}\.xlsx$/)
})
