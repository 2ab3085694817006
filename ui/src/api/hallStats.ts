// Typed wrappers for the walk-in hall's statistics (候访统计) and their Excel export.
import { call } from './transport'
import type { ExportFile, HallSetup, HallStats, HallStatsInput } from './types'

export function hallStats(input: HallStatsInput): Promise<HallStats> {
  return call('hall_stats', input)
}

export function exportHallStats(input: HallStatsInput): Promise<ExportFile> {
  return call('hall_stats_export', input)
}

/** The queues and rooms, for the page's filters. */
export function hallSetup(): Promise<HallSetup> {
  return call('hall_setup_get', {})
}
