// Reminders of the signed-in user's own clocks: on sign-in and every ten minutes the host is
// asked how many of the matters this user handles are 逾期, 到期 today or 临期; when the figure
// changes, a notice appears in the app (and as a system notification where the user allowed it).
import { ElNotification } from 'element-plus'
import { call } from '../api/transport'
import type { ClockCounts, Role } from '../api/types'
import { zh } from '../i18n/zh-CN'
import { HANDLERS } from './nav'

export const REMINDER_INTERVAL_MS = 10 * 60_000

/** The sentence of a reminder, or null when nothing is pressing. */
export function reminderText(counts: Pick<ClockCounts, 'overdue' | 'due_today' | 'approaching'>): string | null {
  const parts: string[] = []
  if (counts.overdue) parts.push(zh.reminders.overdue(counts.overdue))
  if (counts.due_today) parts.push(zh.reminders.dueToday(counts.due_today))
  if (counts.approaching) parts.push(zh.reminders.approaching(counts.approaching))
  return parts.length ? zh.reminders.lead + parts.join('，') : null
}

let last = ''
let timer: ReturnType<typeof setInterval> | null = null

async function check(onOpen: () => void): Promise<void> {
  let counts: ClockCounts
  try {
    counts = (await call('clocks_list', { bucket: 'approaching', mine: true, include_windows: false, limit: 1 })).counts
  } catch {
    return // the connection banner already tells the user when the host is away
  }
  const text = reminderText(counts)
  if (!text || text === last) return
  last = text
  // Bottom left, over the empty end of the menu: never on top of a form's buttons.
  ElNotification({ title: zh.reminders.title, message: text, type: counts.overdue ? 'error' : 'warning', duration: 0, position: 'bottom-left', onClick: onOpen })
  if ('Notification' in window && Notification.permission === 'granted') {
    new Notification(zh.reminders.title, { body: text })
  }
}

/** Starts the reminders for `role` (handlers only); returns the function that stops them. */
export function startReminders(role: Role, onOpen: () => void): () => void {
  stopReminders()
  if (!HANDLERS.includes(role)) return stopReminders
  void check(onOpen)
  timer = setInterval(() => void check(onOpen), REMINDER_INTERVAL_MS)
  return stopReminders
}

export function stopReminders(): void {
  if (timer) clearInterval(timer)
  timer = null
  last = ''
}
