// Typed wrappers for 审计记录: a page of the audit trail and its Excel export, under the same filters.
import { call } from './transport'
import type { AuditListInput, AuditPage, ExportFile } from './types'

export function auditList(input: AuditListInput): Promise<AuditPage> {
  return call('audit_list', input)
}

export function auditExport(input: AuditListInput): Promise<ExportFile> {
  return call('audit_export', input)
}
