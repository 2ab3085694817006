// Playwright configuration: Debian's Chromium, one worker (the flows share one register), real server from global-setup.ts.
import { defineConfig } from '@playwright/test'

export default defineConfig({
  testDir: './specs',
  outputDir: './output/test-results',
  globalSetup: './global-setup.ts',
  // The flows build on each other's data (a matter registered, then searched for) and the
  // machine has two cores: one worker, in file order.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL: process.env.XINFANG_BASE_URL,
    viewport: { width: 1440, height: 900 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    actionTimeout: 15_000,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      // No browser downloads on this machine or in CI: the distribution's Chromium.
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        // The hall TV is set up to play sound without a click (the board also offers a button
        // for a browser that insists on one); the hall flow checks the recorded call is played.
        '--autoplay-policy=no-user-gesture-required',
      ],
    },
  },
})
