// The 案件查询 filter form: its empty state, reading filters from a link's query, and the API input.
import type { LocationQuery } from 'vue-router'
import type { MatterStatus, SearchInput } from '../api/types'

export interface SearchFilters {
  q: string
  received_from: string
  received_to: string
  channel: string
  matter_class: string
  status: MatterStatus | ''
  region_code: string
  repeat_only: boolean
}

const STATUSES: readonly MatterStatus[] = [
  'registered',
  'accepted',
  'not_accepted',
  'no_longer_accepted',
  'forwarded',
  'assigned',
  'answered',
  'closed',
]

export function emptyFilters(): SearchFilters {
  return {
    q: '',
    received_from: '',
    received_to: '',
    channel: '',
    matter_class: '',
    status: '',
    region_code: '',
    repeat_only: false,
  }
}

function one(value: LocationQuery[string]): string {
  const first = Array.isArray(value) ? value[0] : value
  return typeof first === 'string' ? first : ''
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/

/** Filters named in a route query (links from the desk); unknown or malformed values are ignored. */
export function filtersFromQuery(query: LocationQuery): Partial<SearchFilters> {
  const out: Partial<SearchFilters> = {}
  const q = one(query.q)
  if (q) out.q = q
  const from = one(query.from)
  if (ISO_DATE.test(from)) out.received_from = from
  const to = one(query.to)
  if (ISO_DATE.test(to)) out.received_to = to
  const channel = one(query.channel)
  if (channel) out.channel = channel
  const matterClass = one(query.class)
  if (matterClass) out.matter_class = matterClass
  const status = one(query.status)
  if ((STATUSES as readonly string[]).includes(status)) out.status = status as MatterStatus
  const region = one(query.region)
  if (/^\d{6}$/.test(region)) out.region_code = region
  if (one(query.repeat) === '1') out.repeat_only = true
  return out
}

/** The search input for the first page of `filters`; empty fields are left out. */
export function toSearchInput(filters: SearchFilters, limit: number): SearchInput {
  const input: SearchInput = { limit }
  const q = filters.q.trim()
  if (q) input.q = q
  if (filters.received_from) input.received_from = filters.received_from
  if (filters.received_to) input.received_to = filters.received_to
  if (filters.channel) input.channel = filters.channel
  if (filters.matter_class) input.matter_class = filters.matter_class
  if (filters.status) input.status = filters.status
  if (filters.region_code) input.region_code = filters.region_code
  if (filters.repeat_only) input.repeat_only = true
  return input
}
