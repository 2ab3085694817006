// The handling actions a case page offers: which apply in which status and to which role, the
// fields each asks for, and how a filled form becomes the operation's input. The backend
// enforces the same rules; this table only keeps staff from being offered what would be refused.
import type { MatterDetail, MatterStatus, OperationName, Role, StepDetail } from '../api/types'

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

const note: FieldSpec = { key: 'note', label: '说明', type: 'textarea' }
const opinionFields: readonly FieldSpec[] = [
  { key: 'opinion', label: '意见概要', type: 'textarea' },
  { key: 'items', label: '逐项处理结论', type: 'items', required: true },
  { key: 'delivered_on', label: '送达日期', type: 'date', required: true, hint: '申请复查、复核的30日期限自送达之日起计算' },
  { key: 'delivery_method', label: '送达方式', type: 'text', required: true, hint: '如：直接送达、邮寄送达' },
  note,
]
const appealFields: readonly FieldSpec[] = [
  { key: 'received_on', label: '收到申请日期', type: 'date' },
  { key: 'unit', label: '复查、复核机关', type: 'text', required: true },
  { key: 'late_reason', label: '逾期理由（超过30日时填写）', type: 'textarea' },
  note,
]

function hasOpenClock(detail: MatterDetail, kind: string): boolean {
  return detail.clocks.some((c) => c.kind === kind && c.status === 'open')
}

export const ACTIONS: readonly ActionSpec[] = [
  {
    key: 'accept',
    label: '受理',
    op: 'matter_accept',
    roles: HANDLING,
    statuses: UNDECIDED,
    fields: [
      { key: 'accepted_on', label: '受理日期', type: 'date' },
      { key: 'simplified', label: '简易办理（10个工作日内出具处理意见）', type: 'checkbox' },
      note,
    ],
  },
  {
    key: 'forward',
    label: '转送',
    op: 'matter_forward',
    roles: HANDLING,
    statuses: UNDECIDED,
    fields: [
      { key: 'unit', label: '转送单位', type: 'text', required: true },
      { key: 'sent_on', label: '转送日期', type: 'date' },
      note,
    ],
  },
  {
    key: 'assign',
    label: '交办',
    op: 'matter_assign',
    roles: HANDLING,
    statuses: UNDECIDED,
    fields: [
      { key: 'unit', label: '交办单位', type: 'text', required: true },
      { key: 'sent_on', label: '交办日期', type: 'date' },
      { key: 'due_by', label: '反馈办理结果期限', type: 'date' },
      note,
    ],
  },
  {
    key: 'not_accept',
    label: '不予受理',
    op: 'matter_not_accept',
    roles: HANDLING,
    statuses: UNDECIDED,
    fields: [
      { key: 'reason', label: '不予受理理由', type: 'textarea', required: true },
      { key: 'proper_channel', label: '应当向其提出的机关或途径', type: 'text', required: true },
      { key: 'decided_on', label: '决定日期', type: 'date' },
      note,
    ],
  },
  {
    key: 'no_longer_accept',
    label: '不再受理',
    op: 'matter_no_longer_accept',
    roles: HANDLING,
    statuses: UNDECIDED,
    when: (d) => Boolean(d.no_longer_accept_basis),
    fields: [
      { key: 'reason', label: '不再受理理由', type: 'textarea', required: true },
      { key: 'decided_on', label: '决定日期', type: 'date' },
      note,
    ],
  },
  {
    key: 'notice',
    label: '书面告知',
    op: 'matter_notice',
    roles: HANDLING,
    statuses: [],
    when: (d) => hasOpenClock(d, 'D2') || hasOpenClock(d, 'D3'),
    fields: [
      { key: 'notified_on', label: '告知日期', type: 'date' },
      { key: 'method', label: '告知方式', type: 'text', required: true, hint: '如：当面、邮寄、短信' },
      note,
    ],
  },
  {
    key: 'extend',
    label: '延长办理期限',
    op: 'matter_extend',
    roles: HANDLING,
    statuses: ['accepted'],
    when: (d) => hasOpenClock(d, 'D5') && !d.clocks.some((c) => c.kind === 'D6'),
    fields: [
      { key: 'days', label: '延长天数（不超过30日）', type: 'days', required: true },
      { key: 'approver', label: '批准人（本机关负责人）', type: 'text', required: true },
      { key: 'reason', label: '延期理由', type: 'textarea', required: true },
    ],
  },
  { key: 'answer', label: '答复（处理意见书）', op: 'matter_answer', roles: HANDLING, statuses: ['accepted'], fields: opinionFields },
  { key: 'review_request', label: '收到复查申请', op: 'matter_review_request', roles: HANDLING, statuses: ['answered'], fields: appealFields },
  { key: 'review_opinion', label: '复查意见', op: 'matter_review_opinion', roles: HANDLING, statuses: ['reviewing'], fields: opinionFields },
  { key: 'recheck_request', label: '收到复核申请', op: 'matter_recheck_request', roles: HANDLING, statuses: ['reviewed'], fields: appealFields },
  { key: 'recheck_opinion', label: '复核意见', op: 'matter_recheck_opinion', roles: HANDLING, statuses: ['rechecking'], fields: opinionFields },
  {
    key: 'close',
    label: '办结',
    op: 'matter_close',
    roles: HANDLING,
    statuses: ['accepted', 'answered', 'reviewed', 'rechecked', 'forwarded', 'assigned', 'not_accepted', 'no_longer_accepted', 'registered'],
    when: (d) => !['D5', 'D6', 'S2'].some((k) => hasOpenClock(d, k)),
    fields: [note],
  },
  {
    key: 'followup',
    label: '回访及评价',
    op: 'followup_record',
    roles: HANDLING,
    statuses: [],
    fields: [
      { key: 'followed_on', label: '回访日期', type: 'date' },
      { key: 'method', label: '回访方式', type: 'text', required: true, hint: '如：电话、上门、短信' },
      { key: 'result', label: '回访结果', type: 'textarea', required: true },
      { key: 'acceptance_rating', label: '对受理的评价', type: 'rating' },
      { key: 'handling_rating', label: '对办理的评价', type: 'rating' },
      { key: 'query_code', label: '查询码', type: 'text' },
      note,
    ],
  },
  {
    key: 'supervise',
    label: '催办 / 督办',
    op: 'matter_supervise',
    roles: SUPERVISOR,
    statuses: [],
    fields: [
      { key: 'level', label: '方式', type: 'level', required: true },
      { key: 'unit', label: '被督办单位（默认当前承办单位）', type: 'text' },
      { key: 'note', label: '督办要求', type: 'textarea', required: true },
      { key: 'due_by', label: '限期（督办必填）', type: 'date' },
    ],
  },
  {
    key: 'ownership',
    label: '包案',
    op: 'matter_ownership_set',
    roles: SUPERVISOR,
    statuses: [],
    fields: [
      { key: 'leader', label: '包案领导', type: 'text', required: true },
      { key: 'team', label: '工作专班', type: 'text', required: true },
      { key: 'plan', label: '化解方案', type: 'textarea', required: true },
      { key: 'deadline', label: '化解时限', type: 'date', required: true },
      { key: 'scope', label: '包案内容', type: 'textarea', required: true, hint: '包掌握情况、包解决问题、包教育疏导、包稳控化解' },
    ],
  },
  {
    key: 'note',
    label: '备注',
    op: 'matter_step_record',
    roles: HANDLING,
    statuses: [],
    fixed: { kind: 'note' },
    fields: [{ key: 'note', label: '备注内容', type: 'textarea', required: true }],
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
  { value: 'satisfied', label: '满意' },
  { value: 'basic', label: '基本满意' },
  { value: 'dissatisfied', label: '不满意' },
] as const

export const OUTCOMES = [
  { value: 'support', label: '支持' },
  { value: 'explain', label: '解释说明' },
  { value: 'reject', label: '不予支持' },
] as const

export const LEVELS = [
  { value: 'urge', label: '催办' },
  { value: 'supervise', label: '督办' },
] as const

const OUTCOME_NAMES: Record<string, string> = Object.fromEntries(OUTCOMES.map((o) => [o.value, o.label]))

/** The facts of a step in one line for the steps table. */
export function detailText(detail: StepDetail | null | undefined): string {
  if (!detail) return ''
  const parts: string[] = []
  if (detail.effective_on) parts.push(`日期：${detail.effective_on}`)
  if (detail.method) parts.push(`方式：${detail.method}`)
  if (detail.simplified) parts.push('简易办理')
  if (detail.statutory_path) parts.push(detail.statutory_path)
  if (detail.extension_days) parts.push(`延长${detail.extension_days}日`)
  if (detail.approver) parts.push(`批准人：${detail.approver}`)
  if (detail.reason) parts.push(`理由：${detail.reason}`)
  if (detail.proper_channel) parts.push(`应向${detail.proper_channel}提出`)
  if (detail.opinion) parts.push(`意见：${detail.opinion}`)
  for (const item of detail.items ?? []) parts.push(`${item.item}——${OUTCOME_NAMES[item.outcome] ?? item.outcome}`)
  if (detail.due_by) parts.push(`限${detail.due_by}前`)
  return parts.join('；')
}
