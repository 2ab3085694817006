// How a county inbox row reads on the sync panel: a one-line summary of what was sent (never
// the raw JSON for the kinds the desk understands) and where it stands in the register.
import type { InboxEvent } from '../api/types'

export type InboxState = 'applied' | 'refused' | 'pending'

export function inboxState(e: Pick<InboxEvent, 'applied_at' | 'error_code'>): InboxState {
  if (e.applied_at) return 'applied'
  if (e.error_code) return 'refused'
  return 'pending'
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : ''
}

/** 文号 · 发文单位 · 限期 · the matter's 概况 or the directive's message. */
export function inboxSummary(e: Pick<InboxEvent, 'kind' | 'payload'>, withheldNote = ''): string {
  const p = (e.payload ?? {}) as Record<string, unknown>
  const parts: string[] = []
  const head = [text(p.reference), text(p.from_unit)].filter(Boolean).join('，')
  if (head) parts.push(head)
  if (text(p.due_on)) parts.push(`限${text(p.due_on)}前`)
  switch (e.kind) {
    case 'county.assignment':
    case 'county.forward': {
      const matter = (p.matter ?? null) as Record<string, unknown> | null
      if (matter && text(matter.summary)) parts.push(`概况：${text(matter.summary)}`)
      else if (withheldNote) parts.push(withheldNote)
      if (text(p.note)) parts.push(text(p.note))
      break
    }
    case 'county.supervision':
    case 'county.reminder':
      if (text(p.message)) parts.push(text(p.message))
      break
    case 'county.correction': {
      const names: Record<string, string> = { content_category: '内容分类', region_code: '问题属地', involved_units: '涉及单位' }
      const what = names[text(p.field)] ?? text(p.field)
      parts.push(`更正${what}：${text(p.was) || '（空）'} → ${text(p.value) || '（空）'}`)
      break
    }
    case 'county.calendar':
      if (typeof p.year === 'number') parts.push(`${p.year}年节假日安排${text(p.version) ? `（${text(p.version)}）` : ''}`)
      break
    case 'county.calendar_overlay':
      if (Array.isArray(p.days)) parts.push(`本县节假日调整 ${p.days.length} 天`)
      break
    default:
      break
  }
  return parts.length ? parts.join('；') : JSON.stringify(e.payload)
}
