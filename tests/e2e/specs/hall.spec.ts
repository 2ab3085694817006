// The hall with three pages open at once against the real backend: the guide issues a ticket,
// the board shows it waiting, the room calls it and the board shows the call within a second,
// the interview is recorded and the ticket leaves the queue — every page following the host's
// change feed, with no reload (the pages' fallback poll is far slower than the checks here).
import { appUrl, expect, formItem, login, returningPerson, screenshot, test } from './fixtures'

test('guide, room and board work together', async ({ browser }) => {
  const guideCtx = await browser.newContext()
  const roomCtx = await browser.newContext()
  const boardCtx = await browser.newContext()
  const guide = await guideCtx.newPage()
  const room = await roomCtx.newPage()
  const board = await boardCtx.newPage()
  // These pages are not the fixture's page, so watch their consoles here.
  const problems: string[] = []
  for (const [name, page] of [['guide', guide], ['room', room], ['board', board]] as const) {
    page.on('pageerror', (err) => problems.push(`${name}: ${err.message}`))
    page.on('console', (msg) => {
      if (msg.type() !== 'error' && msg.type() !== 'warning') return
      if (/status of 4\d\d/.test(msg.text()) && (msg.location().url ?? '').includes('/api/v1/ops/')) return
      problems.push(`${name}: console.${msg.type()}: ${msg.text()}`)
    })
  }
  // Headless Chromium has no Chinese speech voice, so the board reads calls with the bundled
  // recorded segments: they are fetched as they are played.
  const voice: string[] = []
  board.on('request', (r) => {
    const m = /\/voice\/([a-z0-9A-Z]+)\.wav$/.exec(r.url())
    if (m) voice.push(m[1])
  })
  try {
    await board.goto(appUrl('/board'))
    await expect(board.getByTestId('board-queue').first()).toBeVisible()

    await login(guide, 'wangfang')
    await guide.goto(appUrl('/hall/guide'))
    await guide.getByTestId('ticket-name').fill('欧阳娜娜')
    await guide.getByTestId('ticket-issue').click()
    const ticket = guide.getByTestId('issued-ticket')
    await expect(ticket).toContainText(/A\d{3}/)
    const number = (await ticket.locator('.number').innerText()).trim()
    await screenshot(guide, '30-guide-ticket')

    // The board shows the waiting ticket with the name masked.
    await expect(board.getByTestId('board-queue').first()).toContainText(`${number} 欧**娜`)
    await expect(board.getByText('欧阳娜娜')).toHaveCount(0)

    await login(room, 'lijun')
    await room.goto(appUrl('/hall/room'))
    await room.getByTestId('call-next').click()
    await expect(room.getByTestId('current-ticket')).toContainText(number)
    // Within a second the board shows the call (its own poll runs only every five seconds).
    await expect(board.getByTestId('board-call').first()).toContainText(number, { timeout: 1_000 })
    await screenshot(board, '31-board')
    // “请 A0nn 号 到 …”: the chime, then the segments in order (a segment heard before comes
    // from the browser's cache, so each is fetched once).
    const said = [...new Set(['qing', `l${number[0]}`, ...number.slice(1).split('').map((d) => `d${d}`), 'hao', 'dao'])]
    await expect.poll(() => voice.slice(0, said.length), { timeout: 6_000 }).toEqual(said)

    await room.getByTestId('start-interview').click()
    await formItem(room, '诉求').locator('textarea').fill('咨询社保转移')
    await formItem(room, '事实和理由').locator('textarea').fill('外省社保需转入本县')
    await formItem(room, '接谈概要 / 当场答复').locator('textarea').fill('已当场解释办理流程')
    await room.getByTestId('finish-interview').click()
    await expect(room.getByText('接谈记录已保存')).toBeVisible()
    await expect(room.getByTestId('current-ticket')).toHaveCount(0)
    // The guide desk follows without a reload.
    await expect(guide.getByTestId('waiting-table')).not.toContainText(number, { timeout: 1_000 })
    expect(problems, 'browser console errors on the hall pages').toEqual([])
  } finally {
    await guideCtx.close()
    await roomCtx.close()
    await boardCtx.close()
  }
})

test('the guide identifies a returning visitor by ID number and sees their earlier matters', async ({ page }) => {
  const returning = returningPerson()
  await login(page, 'wangfang')
  await page.goto(appUrl('/hall/guide'))
  const lookup = page.getByTestId('ticket-lookup')
  await lookup.fill(returning.idNumber)
  await lookup.press('Enter')
  const person = page.getByTestId('ticket-person')
  await expect(person).toContainText(returning.name)
  await expect(person).toContainText('重复来访')
  await expect(person).toContainText(returning.numbers[0])
  await page.getByTestId('ticket-issue').click()
  await expect(page.getByTestId('issued-ticket')).toContainText(/[A-D]\d{3}/)
})
