// 审计记录: the page's filters as an `audit_list` input, the operations a filter can choose, and a row's
// outcome and role as read aloud (成功 / 未成功（code）: a result is never carried by colour only).
import type { AuditListInput, AuditOutcome, AuditRow, Role } from '../api/types'
import summaries from 'virtual:operation-summaries'
import { zh } from '../i18n/zh-CN'

/** The host caps a page at 200 rows. */
export const MAX_PAGE_SIZE = 200
export const PAGE_SIZES = [20, 50, 100, 200] as const

export interface AuditFilters {
  /** From and to (YYYY-MM-DD, China days), or none for all time. */
  range: [string, string] | null
  username: string
  operation: string
  desk: string
  object: string
  outcome: AuditOutcome
}

export function emptyAuditFilters(): AuditFilters {
  return { range: null, username: '', operation: '', desk: '', object: '', outcome: 'all' }
}

/** The filters as the host wants them: blanks left out (the host matches what it is sent exactly). */
export function toAuditInput(filters: AuditFilters, page?: number, pageSize?: number): AuditListInput {
  const input: AuditListInput = { outcome: filters.outcome }
  if (filters.range?.[0]) input.from = filters.range[0]
  if (filters.range?.[1]) input.to = filters.range[1]
  const text = { username: filters.username, operation: filters.operation, desk: filters.desk, object: filters.object }
  for (const [key, value] of Object.entries(text) as [keyof typeof text, string][]) {
    const trimmed = value.trim()
    if (trimmed) input[key] = trimmed
  }
  if (page !== undefined) input.page = Math.max(1, Math.floor(page))
  if (pageSize !== undefined) input.page_size = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(pageSize)))
  return input
}

export interface OperationOption {
  value: string
  label: string
}

/**
 * Every operation a row can name, with its Chinese summary, in the order of the operation list
 * (sign-in first), then the host's own tools. The summaries come from the generated
 * schemas/api/operations.json at build time, so a new operation appears here without a UI change.
 */
export function operationOptions(): OperationOption[] {
  const ops = summaries.map(([value, summary]) => ({ value, label: summary }))
  const tools = Object.entries(zh.audit.tools).map(([value, label]) => ({ value, label }))
  return [...ops, ...tools]
}

/** 成功, or 未成功（locked）: the code is what the 说明 column explains. */
export function outcomeText(outcome: string): string {
  return outcome === 'ok' ? zh.audit.ok : zh.audit.failed(outcome)
}

export function roleText(role: Role | null | undefined): string {
  return role ? zh.roles[role] : zh.audit.noRole
}

/** The operation as the table shows it: the host's Chinese name, or the raw name it did not know. */
export function operationText(row: Pick<AuditRow, 'operation' | 'operation_zh'>): string {
  return row.operation_zh || row.operation
}
