// Typed wrappers for registering, reading, searching and handling 信访事项.
import { call } from './transport'
import type { Matter, MatterDetail, MatterInput, MatterStats, SearchInput, SearchPage, StatsInput } from './types'

export function registerMatter(input: MatterInput): Promise<Matter> {
  return call('matter_register', input)
}

/** One matter by its id or by its 信访件编号. */
export function getMatter(idOrNumber: string): Promise<MatterDetail> {
  // Numbers look like XF0001-2026-000135; ids are UUIDs. Either way the host resolves it.
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrNumber)
  return call('matter_get', isUuid ? { matter_id: idOrNumber } : { number: idOrNumber })
}

export function searchMatters(input: SearchInput): Promise<SearchPage> {
  return call('matter_search', input)
}

/** Exact counts for the desk overview (search totals stop counting at a cap). */
export function matterStats(input: StatsInput): Promise<MatterStats> {
  return call('matter_stats', input)
}

/** A supervisor keeps the centre's value (`local`) or takes the county's (`county`). */
export function resolveConflict(conflictId: string, keep: 'local' | 'county'): Promise<MatterDetail> {
  return call('matter_conflict_resolve', { conflict_id: conflictId, keep })
}
