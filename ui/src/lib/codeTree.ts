// Turns the flat, parent-linked code tables (regions, content categories) into cascader option trees.
import type { CodeEntry } from '../api/types'

export interface CodeOption {
  value: string
  label: string
  children?: CodeOption[]
}

/**
 * The part of a name a cascader should show at its level. Content categories are stored as
 * "城乡建设_房屋拆迁" so that flat lists read well; inside a tree the parent is already shown.
 */
export function levelLabel(entry: CodeEntry): string {
  if (entry.parent && entry.name.includes('_')) return entry.name.slice(entry.name.lastIndexOf('_') + 1)
  return entry.name
}

/**
 * A tree of options from a flat table, in table order. Entries whose parent is missing become
 * roots rather than disappearing, so a partial table still shows everything it has.
 */
export function buildCodeTree(entries: readonly CodeEntry[]): CodeOption[] {
  const nodes = new Map<string, CodeOption>()
  for (const entry of entries) nodes.set(entry.code, { value: entry.code, label: levelLabel(entry) })
  const roots: CodeOption[] = []
  for (const entry of entries) {
    const node = nodes.get(entry.code)!
    const parent = entry.parent ? nodes.get(entry.parent) : undefined
    if (parent && parent !== node) (parent.children ??= []).push(node)
    else roots.push(node)
  }
  return roots
}

/** Codes from the root down to `code` (inclusive); empty when the code is unknown. */
export function codePath(entries: readonly CodeEntry[], code: string): string[] {
  const byCode = new Map(entries.map((e) => [e.code, e]))
  const path: string[] = []
  let current = byCode.get(code)
  // The guard stops a malformed table with a parent cycle from looping forever.
  while (current && path.length < 10) {
    path.unshift(current.code)
    current = current.parent ? byCode.get(current.parent) : undefined
  }
  return path
}

/** Display name of a code, or the code itself when the table does not have it. */
export function codeName(entries: readonly CodeEntry[], code: string | null | undefined): string {
  if (!code) return ''
  return entries.find((e) => e.code === code)?.name ?? code
}
