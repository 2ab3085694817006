// Tests for 三员分立 in the UI: each role's menu and routes, and which settings each administrator may change.
import { describe, expect, it } from 'vitest'
import type { Role } from '../api/types'
import { EVERYONE, mayOpen, navFor, NAV_ITEMS } from './nav'
import { editableGroups, refusedGroup, settingGroup } from './settingsAccess'
import { zh } from '../i18n/zh-CN'

const CASE_SCREENS = ['matter-new', 'person-lookup', 'matter-search', 'hall-guide', 'hall-room', 'supervision', 'risks', 'indicators', 'hall-stats']
const names = (role: Role) => navFor(role).map((i) => i.name)

describe('menus of the three administrators', () => {
  it('gives the audit administrator the audit trail only', () => {
    expect(names('auditor')).toEqual(['home', 'admin-audit'])
  })

  it('gives the security administrator users, the security settings and the audit trail, no case screen', () => {
    expect(names('security_admin')).toEqual(['home', 'admin-users', 'admin-settings', 'admin-audit'])
    expect(navFor('security_admin').find((i) => i.name === 'admin-settings')?.label).toBe('安全设置')
  })

  it('keeps the system administrator’s menu, without the audit trail', () => {
    const admin = names('admin')
    expect(admin).toEqual(expect.arrayContaining(['admin-users', 'admin-settings', 'admin-sync', 'matter-search']))
    expect(admin).not.toContain('admin-audit')
    expect(navFor('admin').find((i) => i.name === 'admin-settings')?.label).toBe('系统设置')
  })

  it('shows no case screen to the security or audit administrator, and the router agrees', () => {
    for (const role of ['security_admin', 'auditor'] as Role[]) {
      for (const screen of CASE_SCREENS) {
        const item = NAV_ITEMS.find((i) => i.name === screen)!
        expect(mayOpen(role, item.roles), `${role} → ${screen}`).toBe(false)
      }
    }
  })

  it('shows the audit trail to no desk staff', () => {
    for (const role of ['guide', 'interviewer', 'handler', 'supervisor', 'admin'] as Role[]) {
      expect(names(role)).not.toContain('admin-audit')
    }
  })

  it('names every role in Chinese and offers all seven in the user form', () => {
    expect(EVERYONE).toHaveLength(7)
    expect(EVERYONE.map((r) => zh.roles[r])).toEqual(['引导员', '接谈员', '办理人', '负责人', '系统管理员', '安全管理员', '审计管理员'])
  })
})

describe('settings of each administrator', () => {
  it('splits the settings into the security group and the rest', () => {
    expect(settingGroup('session_idle_minutes')).toBe('security')
    expect(settingGroup('login_lockout_failures')).toBe('security')
    expect(settingGroup('contact_phone')).toBe('system')
  })

  it('lets the system administrator change the security group only while no security administrator is known', () => {
    expect(editableGroups('admin', null)).toEqual({ system: true, security: true })
    expect(editableGroups('admin', false)).toEqual({ system: true, security: true })
    expect(editableGroups('admin', true)).toEqual({ system: true, security: false })
  })

  it('lets the security administrator change the security group only, and nobody else anything', () => {
    expect(editableGroups('security_admin', true)).toEqual({ system: false, security: true })
    expect(editableGroups('auditor', true)).toEqual({ system: false, security: false })
    expect(editableGroups('supervisor', null)).toEqual({ system: false, security: false })
  })

  it('reads a separation refusal at a field as the group it belongs to', () => {
    expect(refusedGroup('separation_of_duties', 'session_max_hours')).toBe('security')
    expect(refusedGroup('separation_of_duties', 'contact_phone')).toBe('system')
    expect(refusedGroup('out_of_range', 'session_max_hours')).toBeNull()
    expect(refusedGroup('separation_of_duties', undefined)).toBeNull()
  })
})
