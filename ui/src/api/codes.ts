// Typed, cached access to the code tables (channels, classes, regions …) and their cascader trees.
import { call } from './transport'
import type { CodeEntry, CodeTable } from './types'

const cache = new Map<CodeTable, Promise<CodeEntry[]>>()

/**
 * One code table. Tables change only with an app or reference-data update, so each is fetched
 * once per page load; a failed fetch is forgotten so the next screen tries again.
 */
export function codes(table: CodeTable): Promise<CodeEntry[]> {
  let pending = cache.get(table)
  if (!pending) {
    pending = call('codes_list', { table })
    cache.set(table, pending)
    pending.catch(() => cache.delete(table))
  }
  return pending
}

/** Forgets cached tables (after sign-out, so another user's session fetches fresh ones). */
export function clearCodeCache(): void {
  cache.clear()
}
