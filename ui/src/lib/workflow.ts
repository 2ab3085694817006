// The handling actions a case page offers: which apply in which status and to which role, the
// fields each asks for, and how a filled form becomes the operation's input. The backend
// enforces the same rules; this table only keeps staff from being offered what would be refused.
import type { MatterDetail, MatterStatus, OperationName, Role, StepDetail } from '../api/types'
import { zh } from '../i18n/zh-CN'

const L = zh.workflow.labels
const D = zh.workflow.detail

export type FieldType = 'text' | 'textarea' | 'date' | 'days' | 'checkbox' | 'rating' | 'level' | 'items'

export interface FieldSpec {
  /** Input key of the operation (and the `field` an error names). */
  key: string
  label: string
  type: FieldType
  required?: boolean
  hint?: string
}

export interface ActionSpec {
  key: string
  label: string
  op: OperationName
  roles: readonly Role[]
  /** Statuses it applies to; empty = any status except 已办结. */
  statuses: readonly MatterStatus[]
  fields: readonly FieldSpec[]
  /** Extra condition on the case beyond its status. */
  when?: (detail: MatterDetail) => boolean
  /** Constant inputs (e.g. `kind: 'note'`). */
  fixed?: Record<string, unknown>
}

const HANDLING: readonly Role[] = ['interviewer', 'handler', 'supervisor']
const SUPERVISOR: readonly Role[] = ['supervisor']
const UNDECIDED: readonly MatterStatus[] = ['registered', 'forwarded', 'assigned']

const note: FieldSpec = { key: 'note', label: L.common_note_label, type: 'textarea' }
const opinionFields: readonly FieldSpec[] = [
  { key: 'opinion', label: L.opinionFields_opinion_label, type: 'textarea' },
  { key: 'facts', label: L.opinionFields_facts_label, type: 'textarea', hint: L.opinionFields_facts_hint },
  { key: 'legal_basis', label: L.opinionFields_legal_basis_label, type: 'textarea' },
  { key: 'items', label: L.opinionFields_items_label, type: 'items', required: true },
  { key: 'delivered_on', label: L.opinionFields_delivered_on_label, type: 'date', required: true, hint: L.opinionFields_delivered_on_hint },
  { key: 'delivery_method', label: L.opinionFields_delivery_method_label, type: 'text', required: true, hint: L.opinionFields_delivery_method_hint },
  { key: 'next_body', label: L.opinionFields_next_body_label, type: 'text', hint: L.opinionFields_next_body_hint },
  note,
]
const appealFields: readonly FieldSpec[] = [
  { key: 'received_on', label: L.appealFields_received_on_label, type: 'date' },
  { key: 'unit', label: L.appealFields_unit_label, type: 'text', required: true },
  { key: 'late_reason', label: L.appealFields_late_reason_label, type: 'textarea' },
  note,
]

function hasOpenClock(detail: MatterDetail, kind: string): boolean {
  return detail.clocks.some((c) => c.kind === kind && c.status === 'open')
}

export const ACTIONS: readonly ActionSpec[] = [
  {
    key: 'accept',
    label: L.accept_label,
    op: 'matter_accept',
    roles: HANDLING,
    statuses: UNDECIDED,
    fields: [
      { key: 'accepted_on', label: L.accept_accepted_on_label, type: 'date' },
      { key: 'simplified', label: L.accept_simplified_label, type: 'checkbox' },
      note,
    ],
  },
  {
    key: 'forward',
    label: L.forward_label,
    op: 'matter_forward',
    roles: HANDLING,
    statuses: UNDECIDED,
    fields: [
      { key: 'unit', label: L.forward_unit_label, type: 'text', required: true },
      { key: 'sent_on', label: L.forward_sent_on_label, type: 'date' },
      { key: 'simplified', label: L.handover_simplified_label, type: 'checkbox' },
      note,
    ],
  },
  {
    key: 'assign',
    label: L.assign_label,
    op: 'matter_assign',
    roles: HANDLING,
    statuses: UNDECIDED,
    fields: [
      { key: 'unit', label: L.assign_unit_label, type: 'text', required: true },
      { key: 'sent_on', label: L.assign_sent_on_label, type: 'date' },
      { key: 'simplified', label: L.handover_simplified_label, type: 'checkbox' },
      { key: 'due_by', label: L.assign_due_by_label, type: 'date' },
      note,
    ],
  },
  {
    key: 'not_accept',
    label: L.not_accept_label,
    op: 'matter_not_accept',
    roles: HANDLING,
    statuses: UNDECIDED,
    fields: [
      { key: 'reason', label: L.not_accept_reason_label, type: 'textarea', required: true },
      { key: 'proper_channel', label: L.not_accept_proper_channel_label, type: 'text', required: true },
      { key: 'legal_basis', label: L.not_accept_legal_basis_label, type: 'text', hint: L.not_accept_legal_basis_hint },
      { key: 'decided_on', label: L.not_accept_decided_on_label, type: 'date' },
      note,
    ],
  },
  {
    key: 'no_longer_accept',
    label: L.no_longer_accept_label,
    op: 'matter_no_longer_accept',
    roles: HANDLING,
    statuses: UNDECIDED,
    when: (d) => Boolean(d.no_longer_accept_basis),
    fields: [
      { key: 'reason', label: L.no_longer_accept_reason_label, type: 'textarea', required: true },
      { key: 'decided_on', label: L.no_longer_accept_decided_on_label, type: 'date' },
      note,
    ],
  },
  {
    key: 'notice',
    label: L.notice_label,
    op: 'matter_notice',
    roles: HANDLING,
    statuses: [],
    when: (d) => hasOpenClock(d, 'D2') || hasOpenClock(d, 'D3'),
    fields: [
      { key: 'notified_on', label: L.notice_notified_on_label, type: 'date' },
      { key: 'method', label: L.notice_method_label, type: 'text', required: true, hint: L.notice_method_hint },
      note,
    ],
  },
  {
    key: 'extend',
    label: L.extend_label,
    op: 'matter_extend',
    roles: HANDLING,
    statuses: ['accepted'],
    when: (d) => hasOpenClock(d, 'D5') && !d.clocks.some((c) => c.kind === 'D6'),
    fields: [
      { key: 'days', label: L.extend_days_label, type: 'days', required: true },
      { key: 'approver', label: L.extend_approver_label, type: 'text', required: true },
      { key: 'reason', label: L.extend_reason_label, type: 'textarea', required: true },
    ],
  },
  { key: 'answer', label: L.answer_label, op: 'matter_answer', roles: HANDLING, statuses: ['accepted'], fields: opinionFields },
  { key: 'review_request', label: L.review_request_label, op: 'matter_review_request', roles: HANDLING, statuses: ['answered'], fields: appealFields },
  { key: 'review_opinion', label: L.review_opinion_label, op: 'matter_review_opinion', roles: HANDLING, statuses: ['reviewing'], fields: opinionFields },
  { key: 'recheck_request', label: L.recheck_request_label, op: 'matter_recheck_request', roles: HANDLING, statuses: ['reviewed'], fields: appealFields },
  { key: 'recheck_opinion', label: L.recheck_opinion_label, op: 'matter_recheck_opinion', roles: HANDLING, statuses: ['rechecking'], fields: opinionFields },
  {
    key: 'close',
    label: L.close_label,
    op: 'matter_close',
    roles: HANDLING,
    statuses: ['accepted', 'answered', 'reviewed', 'rechecked', 'forwarded', 'assigned', 'not_accepted', 'no_longer_accepted', 'registered'],
    when: (d) => !['D5', 'D6', 'S2'].some((k) => hasOpenClock(d, k)),
    fields: [note],
  },
  {
    key: 'followup',
    label: L.followup_label,
    op: 'followup_record',
    roles: HANDLING,
    statuses: [],
    fields: [
      { key: 'followed_on', label: L.followup_followed_on_label, type: 'date' },
      { key: 'method', label: L.followup_method_label, type: 'text', required: true, hint: L.followup_method_hint },
      { key: 'result', label: L.followup_result_label, type: 'textarea', required: true },
      { key: 'acceptance_rating', label: L.followup_acceptance_rating_label, type: 'rating' },
      { key: 'handling_rating', label: L.followup_handling_rating_label, type: 'rating' },
      { key: 'query_code', label: L.followup_query_code_label, type: 'text' },
      note,
    ],
  },
  {
    key: 'supervise',
    label: L.supervise_label,
    op: 'matter_supervise',
    roles: SUPERVISOR,
    statuses: [],
    fields: [
      { key: 'level', label: L.supervise_level_label, type: 'level', required: true },
      { key: 'unit', label: L.supervise_unit_label, type: 'text' },
      { key: 'note', label: L.supervise_note_label, type: 'textarea', required: true },
      { key: 'due_by', label: L.supervise_due_by_label, type: 'date' },
    ],
  },
  {
    key: 'ownership',
    label: L.ownership_label,
    op: 'matter_ownership_set',
    roles: SUPERVISOR,
    statuses: [],
    fields: [
      { key: 'leader', label: L.ownership_leader_label, type: 'text', required: true },
      { key: 'team', label: L.ownership_team_label, type: 'text', required: true },
      { key: 'plan', label: L.ownership_plan_label, type: 'textarea', required: true },
      { key: 'deadline', label: L.ownership_deadline_label, type: 'date', required: true },
      { key: 'scope', label: L.ownership_scope_label, type: 'textarea', required: true, hint: L.ownership_scope_hint },
    ],
  },
  {
    key: 'note',
    label: L.note_label,
    op: 'matter_step_record',
    roles: HANDLING,
    statuses: [],
    fixed: { kind: 'note' },
    fields: [{ key: 'note', label: L.note_text_label, type: 'textarea', required: true }],
  },
]

/** The actions `role` may take on this case now, in menu order. */
export function availableActions(detail: MatterDetail, role: Role | null): ActionSpec[] {
  if (!role) return []
  const status = detail.matter.status
  return ACTIONS.filter((a) => {
    if (!a.roles.includes(role)) return false
    const statusOk = a.statuses.length === 0 ? status !== 'closed' : a.statuses.includes(status)
    return statusOk && (!a.when || a.when(detail))
  })
}

export interface ItemDraft {
  item: string
  outcome: 'support' | 'explain' | 'reject' | ''
  basis: string
}

export type ActionValues = Record<string, string | boolean | number | ItemDraft[] | null>

/** Empty values for an action's form; 不再受理 starts from the reason the host found. */
export function emptyValues(action: ActionSpec, detail: MatterDetail): ActionValues {
  const values: ActionValues = {}
  for (const f of action.fields) {
    if (f.type === 'items') values[f.key] = [{ item: detail.matter.request.slice(0, 200), outcome: '', basis: '' }]
    else if (f.type === 'checkbox') values[f.key] = false
    else if (f.type === 'days') values[f.key] = 30
    else if (f.type === 'level') values[f.key] = 'supervise'
    else values[f.key] = ''
  }
  if (action.key === 'no_longer_accept' && detail.no_longer_accept_basis) values.reason = detail.no_longer_accept_basis
  return values
}

/**
 * The operation input: trimmed text, blanks as null (so the host names the missing field in
 * its own words), item rows without empty ones.
 */
export function toInput(action: ActionSpec, matterId: string, values: ActionValues): Record<string, unknown> {
  const input: Record<string, unknown> = { matter_id: matterId, ...(action.fixed ?? {}) }
  for (const f of action.fields) {
    const v = values[f.key]
    if (f.type === 'items') {
      const rows = (Array.isArray(v) ? v : []).filter((r) => r.item.trim() || r.outcome)
      input[f.key] = rows.map((r) => ({ item: r.item.trim(), outcome: r.outcome || null, basis: r.basis.trim() || null }))
    } else if (f.type === 'checkbox') {
      input[f.key] = Boolean(v)
    } else if (f.type === 'days') {
      input[f.key] = typeof v === 'number' ? v : Number(v) || 0
    } else if (typeof v === 'string') {
      input[f.key] = v.trim() || null
    } else {
      input[f.key] = v ?? null
    }
  }
  // Leaders, teams and plans are plain strings on the wire (required there).
  if (action.key === 'ownership') {
    for (const k of ['leader', 'team', 'plan', 'scope']) input[k] = input[k] ?? ''
  }
  return input
}

/** Which form key an error's `field` belongs to (`items[0].item` → `items`). */
export function errorKey(field: string | null | undefined, action: ActionSpec): string | null {
  if (!field) return null
  const base = field.split(/[.[]/)[0]
  return action.fields.some((f) => f.key === base) ? base : null
}

export const RATINGS = [
  { value: 'satisfied', label: L.rating_satisfied },
  { value: 'basic', label: L.rating_basic },
  { value: 'dissatisfied', label: L.rating_dissatisfied },
] as const

export const OUTCOMES = [
  { value: 'support', label: L.outcome_support },
  { value: 'explain', label: L.outcome_explain },
  { value: 'reject', label: L.outcome_reject },
] as const

export const LEVELS = [
  { value: 'urge', label: L.level_urge },
  { value: 'supervise', label: L.level_supervise },
] as const

const OUTCOME_NAMES: Record<string, string> = Object.fromEntries(OUTCOMES.map((o) => [o.value, o.label]))

/** The facts of a step in one line for the steps table. */
export function detailText(detail: StepDetail | null | undefined): string {
  if (!detail) return ''
  const parts: string[] = []
  if (detail.effective_on) parts.push(D.date(detail.effective_on))
  if (detail.method) parts.push(D.method(detail.method))
  if (detail.simplified) parts.push(D.simplified)
  if (detail.statutory_path) parts.push(detail.statutory_path)
  if (detail.extension_days) parts.push(D.extended(detail.extension_days))
  if (detail.approver) parts.push(D.approver(detail.approver))
  if (detail.reason) parts.push(D.reason(detail.reason))
  if (detail.proper_channel) parts.push(D.channel(detail.proper_channel))
  if (detail.opinion) parts.push(D.opinion(detail.opinion))
  for (const item of detail.items ?? []) parts.push(D.item(item.item, OUTCOME_NAMES[item.outcome] ?? item.outcome))
  if (detail.due_by) parts.push(D.dueBy(detail.due_by))
  return parts.join('；')
}
