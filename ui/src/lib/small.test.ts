// Tests for the small pure helpers: role menus, code trees, search filters, lookups, formatting.
import { describe, expect, it } from 'vitest'
import { mayOpen, navFor, shortcutTarget } from './nav'
import { buildCodeTree, codeName, codePath, levelLabel } from './codeTree'
import { emptyFilters, filtersFromQuery, toSearchInput } from './searchFilters'
import { chooseLookup } from './lookup'
import { chinaDate, formatArticle, formatDateLong, formatDateTime, formatTotal, sexName } from './format'

describe('navFor', () => {
  it('shows case screens to desk staff and administration to the admin only', () => {
    const guide = navFor('guide').map((i) => i.name)
    expect(guide).toEqual(['home', 'matter-new', 'person-lookup', 'matter-search', 'hall-guide'])
    const admin = navFor('admin').map((i) => i.name)
    expect(admin).toContain('admin-users')
    expect(admin).not.toContain('matter-new')
  })

  it('shows the sync panel to supervisors and administrators only', () => {
    expect(navFor('admin').map((i) => i.name)).toContain('admin-sync')
    expect(navFor('supervisor').map((i) => i.name)).toContain('admin-sync')
    expect(navFor('handler').map((i) => i.name)).not.toContain('admin-sync')
  })

  it('guards routes and shortcuts by role', () => {
    expect(mayOpen('admin', ['guide'])).toBe(false)
    expect(mayOpen('admin', undefined)).toBe(true)
    expect(shortcutTarget('guide', 'n')?.name).toBe('matter-new')
    expect(shortcutTarget('admin', 'N')).toBeUndefined()
  })
})

describe('code trees', () => {
  const regions = [
    { code: '110000', name: '北京市', level: 1 },
    { code: '110100', name: '市辖区', level: 2, parent: '110000' },
    { code: '110105', name: '朝阳区', level: 3, parent: '110100' },
    { code: '999999', name: '孤儿', level: 3, parent: '000000' },
  ]

  it('nests children under parents and keeps orphans as roots', () => {
    const tree = buildCodeTree(regions)
    expect(tree.map((n) => n.value)).toEqual(['110000', '999999'])
    expect(tree[0].children?.[0].children?.[0]).toEqual({ value: '110105', label: '朝阳区' })
  })

  it('shows only the last part of underscore names inside the tree', () => {
    expect(levelLabel({ code: 'urban_demolition', name: '城乡建设_房屋拆迁', parent: 'urban' })).toBe('房屋拆迁')
    expect(levelLabel({ code: 'urban', name: '城乡建设' })).toBe('城乡建设')
  })

  it('finds paths and names', () => {
    expect(codePath(regions, '110105')).toEqual(['110000', '110100', '110105'])
    expect(codePath(regions, 'nope')).toEqual([])
    expect(codeName(regions, '110105')).toBe('朝阳区')
    expect(codeName(regions, 'x')).toBe('x')
  })
})

describe('search filters', () => {
  it('leaves empty filters out of the input', () => {
    expect(toSearchInput(emptyFilters(), 50)).toEqual({ limit: 50 })
    const filters = { ...emptyFilters(), q: ' 排涝 ', status: 'registered' as const, repeat_only: true }
    expect(toSearchInput(filters, 50)).toEqual({ limit: 50, q: '排涝', status: 'registered', repeat_only: true })
  })

  it('reads only well-formed values from a link', () => {
    expect(filtersFromQuery({ status: 'registered', from: '2026-01-01', repeat: '1' })).toEqual({
      status: 'registered',
      received_from: '2026-01-01',
      repeat_only: true,
    })
    expect(filtersFromQuery({ status: 'bogus', from: 'yesterday', region: '11' })).toEqual({})
  })
})

describe('chooseLookup', () => {
  const fields = { id_number: '', phone: ' 13912345678 ', name: '王伟', address: '城关' }

  it('uses the field Enter was pressed in', () => {
    expect(chooseLookup(fields, 'name')).toEqual({ name: '王伟', address: '城关' })
    expect(chooseLookup(fields, 'id_number')).toBeNull()
  })

  it('otherwise takes the most exact field filled', () => {
    expect(chooseLookup(fields)).toEqual({ phone: '13912345678' })
    expect(chooseLookup({ ...fields, id_number: '11010519491231002x' })).toEqual({ id_number: '11010519491231002X' })
    expect(chooseLookup({ id_number: '', phone: '', name: '', address: '' })).toBeNull()
  })
})

describe('format', () => {
  it('shows instants in Beijing time', () => {
    expect(chinaDate('2026-11-27T18:30:00Z')).toBe('2026-11-28')
    expect(formatDateTime('2026-11-27T18:30:00Z')).toBe('2026-11-28 02:30')
    expect(formatDateLong('2026-01-05')).toBe('2026年1月5日')
  })

  it('writes article references the Chinese way', () => {
    expect(formatArticle('31(6)')).toBe('第31条第6项')
    expect(formatArticle('29')).toBe('第29条')
    expect(formatArticle('附则')).toBe('附则')
    expect(formatArticle(null)).toBe('')
  })

  it('shows capped totals and sexes in Chinese', () => {
    expect(formatTotal(10000, true)).toBe('10000+')
    expect(formatTotal(1000, true)).toBe('1000+')
    expect(formatTotal(57, false)).toBe('57')
    expect(sexName('female')).toBe('女')
    expect(sexName(null)).toBe('')
  })
})
