// Typed wrappers for the sync panel: status, configuration, 立即同步 and the county inbox.
import { call } from './transport'
import type { CountyLookup, Done, InboxEvent, SyncConfigureInput, SyncStatus } from './types'

export function syncStatus(): Promise<SyncStatus> {
  return call('sync_status', {})
}

export function syncConfigure(input: SyncConfigureInput): Promise<SyncStatus> {
  return call('sync_configure', input)
}

/** Asks the host's sync worker to run now; it does, in the background. */
export function syncRequest(): Promise<Done> {
  return call('sync_request', {})
}

export function countyInbox(limit = 100): Promise<InboxEvent[]> {
  return call('county_inbox_list', { limit })
}

/** Tries a refused county event again (supervisor); answers with the row as it now stands. */
export function countyInboxRetry(id: string): Promise<InboxEvent> {
  return call('county_inbox_retry', { id })
}

/** 县内其他中心: the host's answer so far (`pending` until its sync worker has asked the hub). */
export function countyLookup(idNumber: string, refresh = false): Promise<CountyLookup> {
  return call('person_county_matters', { id_number: idNumber, refresh })
}
