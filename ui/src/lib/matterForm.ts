// The 登记信访事项 form's model: an empty draft, conversion to the API input, error-path rules, and draft storage.
import type { IdType, MatterInput, PersonInput, PetitionerInput } from '../api/types'
import { chinaDateStart } from './format'
import type { FieldRule } from './fieldPath'

export interface PetitionerDraft {
  /** Stable key for list rendering; not sent. */
  key: string
  name: string
  id_type: IdType
  id_number: string
  /** Derived from the ID number, shown read-only; not sent (the host derives it again). */
  sex: string
  birth_date: string
  ethnicity: string
  phone: string
  household_address: string
  current_address: string
  workplace: string
}

export interface MatterDraft {
  channel: string
  purpose: string
  matter_class: string
  route: string
  content_category: string
  region_code: string
  involved_units: string
  summary: string
  request: string
  facts_reasons: string
  /** China date (YYYY-MM-DD). */
  received_date: string
  litigation: boolean
  anonymous: boolean
  /** Id and number of the earlier matter the clerk linked this one to. */
  repeat_of: string
  repeat_of_number: string
  petitioners: PetitionerDraft[]
}

let keySeq = 0

export function emptyPetitioner(): PetitionerDraft {
  keySeq += 1
  return {
    key: `p${Date.now().toString(36)}${keySeq}`,
    name: '',
    id_type: 'resident_id',
    id_number: '',
    sex: '',
    birth_date: '',
    ethnicity: '',
    phone: '',
    household_address: '',
    current_address: '',
    workplace: '',
  }
}

export function emptyMatterDraft(today: string, channel = 'letter'): MatterDraft {
  return {
    channel,
    purpose: '',
    matter_class: '',
    route: '',
    content_category: '',
    region_code: '',
    involved_units: '',
    summary: '',
    request: '',
    facts_reasons: '',
    received_date: today,
    litigation: false,
    anonymous: false,
    repeat_of: '',
    repeat_of_number: '',
    petitioners: [emptyPetitioner()],
  }
}

/** Anonymity is only possible for a written 检举控告 (the host enforces the same rule). */
export function anonymousAllowed(draft: Pick<MatterDraft, 'matter_class' | 'channel'>): boolean {
  return draft.matter_class === 'accusation' && draft.channel !== 'visit' && draft.channel !== 'phone'
}

/** Whether the Art. 31 route select applies. */
export function routeApplies(draft: Pick<MatterDraft, 'matter_class'>): boolean {
  return draft.matter_class === 'appeal_demand'
}

function text(value: string): string | null {
  const trimmed = value.trim()
  return trimmed ? trimmed : null
}

function toPersonInput(p: PetitionerDraft): PersonInput {
  const idNumber = text(p.id_number)
  return {
    name: p.name.trim(),
    id_type: idNumber ? p.id_type : p.id_type === 'none' ? 'none' : null,
    id_number: idNumber,
    phone: text(p.phone),
    ethnicity: text(p.ethnicity),
    household_address: text(p.household_address),
    current_address: text(p.current_address),
    workplace: text(p.workplace),
  }
}

/** A petitioner row the clerk left completely empty (an extra row added by mistake). */
export function isBlankPetitioner(p: PetitionerDraft): boolean {
  return [p.name, p.id_number, p.phone, p.household_address, p.current_address, p.workplace, p.ethnicity].every(
    (v) => !v.trim(),
  )
}

/**
 * The API input for a draft. `today` decides whether the date needs sending: a matter received
 * today gets the host's exact time, an earlier one (a letter's postmark) the start of that day.
 */
export function toMatterInput(draft: MatterDraft, today: string): MatterInput {
  const anonymous = anonymousAllowed(draft) && draft.anonymous
  // Rows left entirely blank are dropped, except the first: its errors point the clerk at it.
  const rows = anonymous
    ? []
    : draft.petitioners.filter((p, idx) => idx === 0 || !isBlankPetitioner(p))
  const petitioners: PetitionerInput[] = rows.map((p, idx) => ({
    is_primary: idx === 0,
    person: toPersonInput(p),
  }))
  return {
    channel: draft.channel,
    purpose: draft.purpose,
    matter_class: draft.matter_class,
    route: routeApplies(draft) ? text(draft.route) : null,
    content_category: text(draft.content_category),
    region_code: text(draft.region_code),
    involved_units: text(draft.involved_units),
    summary: draft.summary.trim(),
    request: draft.request.trim(),
    facts_reasons: draft.facts_reasons.trim(),
    received_at: draft.received_date && draft.received_date !== today ? chinaDateStart(draft.received_date) : null,
    litigation: draft.litigation,
    anonymous,
    repeat_of: text(draft.repeat_of),
    petitioners,
  }
}

/** How the host's error paths map onto this form's items (see fieldPath.ts). */
export const MATTER_FIELD_RULES: readonly FieldRule[] = [
  { pattern: /^petitioners\.(\d+)\.person\.(\w+)$/, prop: 'petitioners.$1.$2' },
  { pattern: /^petitioners\.(\d+)(\.person|\.person_id)?$/, prop: 'petitioners.$1.name' },
  { pattern: /^petitioners$/, prop: 'petitioners.0.name' },
  { pattern: /^received_at$/, prop: 'received_date' },
]

// ---- Draft storage -------------------------------------------------------------------------
//
// The draft is written to sessionStorage as the clerk types, so a reload, a crash of the tab or
// an expired sign-in never costs them the letter they were copying. sessionStorage (not
// localStorage) because it holds personal data and must go when the browser on a shared desk
// PC is closed.

const DRAFT_VERSION = 1

export function draftKey(username: string): string {
  return `xinfang.draft.matter.${username}`
}

export function saveDraft(storage: Storage, username: string, draft: MatterDraft): void {
  try {
    storage.setItem(draftKey(username), JSON.stringify({ v: DRAFT_VERSION, draft }))
  } catch {
    // A full or disabled storage must not break typing; the form itself still holds everything.
  }
}

export function clearDraft(storage: Storage, username: string): void {
  try {
    storage.removeItem(draftKey(username))
  } catch {
    // Nothing to clear.
  }
}

/** The stored draft merged over an empty one (so older drafts gain new fields), or null. */
export function loadDraft(storage: Storage, username: string, today: string): MatterDraft | null {
  let raw: string | null
  try {
    raw = storage.getItem(draftKey(username))
  } catch {
    return null
  }
  if (!raw) return null
  try {
    const parsed = JSON.parse(raw) as { v?: number; draft?: Partial<MatterDraft> }
    if (parsed.v !== DRAFT_VERSION || !parsed.draft) return null
    const base = emptyMatterDraft(today)
    const stored = parsed.draft
    const petitioners = Array.isArray(stored.petitioners) && stored.petitioners.length > 0
      ? stored.petitioners.map((p) => ({ ...emptyPetitioner(), ...p }))
      : base.petitioners
    return { ...base, ...stored, petitioners }
  } catch {
    return null
  }
}

/** Whether the clerk has typed anything worth keeping (defaults alone are not a draft). */
export function isDraftDirty(draft: MatterDraft, today: string): boolean {
  const empty = emptyMatterDraft(today, draft.channel)
  const strip = (d: MatterDraft) => ({ ...d, petitioners: d.petitioners.map(({ key: _key, ...rest }) => rest) })
  return JSON.stringify(strip(draft)) !== JSON.stringify(strip(empty))
}
