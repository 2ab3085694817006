// Whether the desktop shell still needs its first-start choice; asked once per start, then cached.
import { shellStatus } from '../api/transport'

let configured: boolean | null = null

/** True in a browser, or in the desktop app once host/desk has been chosen. */
export async function shellConfigured(): Promise<boolean> {
  if (configured !== null) return configured
  try {
    const status = await shellStatus()
    configured = status === null || (status.mode !== null && status.initialised)
  } catch {
    // If the shell cannot even say, let the login page report the real error.
    configured = true
  }
  return configured
}

/** Called after a successful setup. */
export function markShellConfigured(): void {
  configured = true
}
