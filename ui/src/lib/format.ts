// Dates, times, totals and masks as clerks read them: Beijing time, 2026-11-28 14:05, 10000+.
import { zh } from '../i18n/zh-CN'

const TIME_ZONE = 'Asia/Shanghai'

// The parts are assembled by hand: locales differ between engines (WebKitGTK's ICU formats
// en-CA as 11/28/2026, Chromium as 2026-11-28), and a date sent to the host must be YYYY-MM-DD.
const dateParts = new Intl.DateTimeFormat('en-US', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
})

const timeParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
})

const secondParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
})

/** The China date (YYYY-MM-DD) of an instant; storage is UTC, people live in Beijing time. */
export function chinaDate(instant: Date | string): string {
  const date = typeof instant === 'string' ? new Date(instant) : instant
  if (Number.isNaN(date.getTime())) return typeof instant === 'string' ? instant : ''
  const parts = dateParts.formatToParts(date)
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? ''
  return `${part('year')}-${part('month')}-${part('day')}`
}

/** Today in China. */
export function chinaToday(now: Date = new Date()): string {
  return chinaDate(now)
}

/** 2026-11-28 14:05 in Beijing time. */
export function formatDateTime(instant: string | null | undefined): string {
  if (!instant) return ''
  const date = new Date(instant)
  if (Number.isNaN(date.getTime())) return instant
  const parts = timeParts.formatToParts(date)
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? ''
  return `${chinaDate(date)} ${part('hour').padStart(2, '0')}:${part('minute')}`
}

/** 2026-11-28 14:05:09 in Beijing time: the audit trail, where two rows a minute apart matter. */
export function formatDateTimeSeconds(instant: string | null | undefined): string {
  if (!instant) return ''
  const date = new Date(instant)
  if (Number.isNaN(date.getTime())) return instant
  const parts = secondParts.formatToParts(date)
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? ''
  return `${chinaDate(date)} ${part('hour').padStart(2, '0')}:${part('minute')}:${part('second')}`
}

/** 2026年11月28日, as on paper. */
export function formatDateLong(isoDate: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(isoDate)
  if (!match) return isoDate
  return `${match[1]}年${Number(match[2])}月${Number(match[3])}日`
}

/** The instant a China date starts, for inputs typed as UTC instants (信访日期). */
export function chinaDateStart(isoDate: string): string {
  return `${isoDate}T00:00:00+08:00`
}

/** A search total: "1000+" when the host stopped counting at its cap (the total is the cap). */
export function formatTotal(total: number, capped: boolean): string {
  return capped ? zh.search.totalCapped(total) : String(total)
}

/** 男 / 女 from the stored `male` / `female`. */
export function sexName(sex: string | null | undefined): string {
  if (sex === 'male') return zh.common.sexMale
  if (sex === 'female') return zh.common.sexFemale
  return ''
}

/** An article reference from the code tables as written in Chinese: `31(6)` → 第31条第6项. */
export function formatArticle(article: string | null | undefined): string {
  if (!article) return ''
  const match = /^(\d+)(?:\((\d+)\))?$/.exec(article.trim())
  if (!match) return article
  return match[2] ? `第${match[1]}条第${match[2]}项` : `第${match[1]}条`
}
