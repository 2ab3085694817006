// Shared test fixture and helpers: every test fails on a browser console error/warning or an uncaught page error.
import { test as base, expect, type Locator, type Page } from '@playwright/test'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const DEMO_PASSWORD = 'demo-pass-2026'
export const SCREENSHOT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'output')
mkdirSync(SCREENSHOT_DIR, { recursive: true })

export function baseUrl(): string {
  const url = process.env.XINFANG_BASE_URL
  if (!url) throw new Error('XINFANG_BASE_URL is not set: global-setup.ts did not run')
  return url
}

/** An app route (hash routing: `/matters/new` → `/#/matters/new`). */
export function appUrl(route = '/'): string {
  return `${baseUrl()}/#${route}`
}

export interface ReturningPerson {
  idNumber: string
  name: string
  numbers: string[]
}

export function returningPerson(): ReturningPerson {
  return JSON.parse(process.env.XINFANG_RETURNING ?? 'null') as ReturningPerson
}

/**
 * The API answers validation failures with 4xx and a Chinese message the UI shows at the field;
 * Chromium also logs each such response as "Failed to load resource". Those lines are expected
 * for /api/ calls. Everything else logged as an error or warning fails the test, and so does
 * any 5xx.
 */
function isExpectedApiRejection(text: string, url: string | undefined): boolean {
  return (
    /Failed to load resource: the server responded with a status of 4\d\d/.test(text) &&
    !!url &&
    url.includes('/api/v1/ops/')
  )
}

export const test = base.extend<{ consoleProblems: string[] }>({
  consoleProblems: [
    async ({ page }, use) => {
      const problems: string[] = []
      page.on('console', (msg) => {
        const type = msg.type()
        if (type !== 'error' && type !== 'warning') return
        if (isExpectedApiRejection(msg.text(), msg.location().url)) return
        problems.push(`console.${type}: ${msg.text()} (${msg.location().url ?? ''})`)
      })
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
      await use(problems)
      expect(problems, 'browser console errors, warnings or page errors').toEqual([])
    },
    { auto: true },
  ],
})

export { expect }

export async function login(page: Page, username: string, password = DEMO_PASSWORD): Promise<void> {
  await page.goto(appUrl('/login'))
  await page.getByLabel('用户名').fill(username)
  await page.getByLabel('密码', { exact: true }).fill(password)
  await page.getByLabel('密码', { exact: true }).press('Enter')
  await expect(page.getByTestId('current-user')).toBeVisible()
}

/** The form item (label, control and its error message) whose label is `label`. */
export function formItem(scope: Page | Locator, label: string): Locator {
  // Form items are never nested in these forms, so "has a label with exactly this text" is unique.
  const page = 'goto' in scope ? scope : scope.page()
  return scope.locator('.el-form-item').filter({
    has: page.locator('label.el-form-item__label', { hasText: new RegExp(`^\\s*${label}\\s*$`) }),
  })
}

/**
 * Chooses an option of an Element Plus select by its visible text, and waits until the select
 * shows it: on a loaded machine a click can land while the list is still opening, and a test
 * that went on regardless would fail much later at an unrelated step.
 */
export async function chooseOption(page: Page, label: string, option: string, scope: Page | Locator = page): Promise<void> {
  const select = scope.getByLabel(label, { exact: true })
  // The select's own box (not its inner wrapper) holds the label of the chosen option.
  const shown = select
    .locator('xpath=ancestor::div[contains(concat(" ", normalize-space(@class), " "), " el-select ")][1]')
    .locator('.el-select__placeholder:not(.is-transparent)')
  await expect(async () => {
    if (!(await page.locator('.el-select-dropdown__item:visible').count())) await select.click()
    await page.locator('.el-select-dropdown__item:visible', { hasText: new RegExp(`^\\s*${option}\\s*$`) }).first().click({ timeout: 2_000 })
    await expect(shown).toContainText(option, { timeout: 1_000 })
  }).toPass({ timeout: 10_000 })
}

/**
 * Saves the whole page as a person would see it on a tall screen. The viewport is grown to the
 * page's height for the shot (a scrolled full-page capture would paint the sticky header and
 * the sticky save bar in the middle of the picture), then restored.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const viewport = page.viewportSize() ?? { width: 1440, height: 900 }
  const height = await page.evaluate(() => document.documentElement.scrollHeight)
  await page.setViewportSize({ width: viewport.width, height: Math.max(viewport.height, Math.min(height, 4000)) })
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`) })
  await page.setViewportSize(viewport)
}

/** Types like a keyboard-wedge ID-card reader: 18 characters a few milliseconds apart, then Enter. */
export async function swipeIdCard(field: Locator, idNumber: string): Promise<void> {
  await field.click()
  await field.pressSequentially(idNumber, { delay: 4 })
  await field.press('Enter')
}
