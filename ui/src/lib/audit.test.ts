// Tests for the 审计记录 helpers: filters to `audit_list` input, the operation list, outcome and role text.
import { describe, expect, it } from 'vitest'
import { emptyAuditFilters, operationOptions, operationText, outcomeText, roleText, toAuditInput } from './audit'
import { formatDateTimeSeconds } from './format'

describe('toAuditInput', () => {
  it('sends only the outcome when nothing is filled in', () => {
    expect(toAuditInput(emptyAuditFilters())).toEqual({ outcome: 'all' })
  })

  it('sends the period, trimmed texts, outcome and page, and leaves blanks out', () => {
    const input = toAuditInput(
      {
        range: ['2026-11-01', '2026-11-30'],
        username: '  zhaomin ',
        operation: 'auth_login',
        desk: '   ',
        object: ' XF3301-2026-000012',
        outcome: 'failed',
      },
      3,
      50,
    )
    expect(input).toEqual({
      from: '2026-11-01',
      to: '2026-11-30',
      username: 'zhaomin',
      operation: 'auth_login',
      object: 'XF3301-2026-000012',
      outcome: 'failed',
      page: 3,
      page_size: 50,
    })
    expect(input).not.toHaveProperty('desk')
  })

  it('keeps the page and its size within what the host accepts', () => {
    expect(toAuditInput(emptyAuditFilters(), 0, 500)).toMatchObject({ page: 1, page_size: 200 })
    expect(toAuditInput(emptyAuditFilters(), 2.7, 0)).toMatchObject({ page: 2, page_size: 1 })
  })

  it('sends no page for the export, which writes every matching row', () => {
    const input = toAuditInput({ ...emptyAuditFilters(), outcome: 'ok' })
    expect(input).not.toHaveProperty('page')
    expect(input).not.toHaveProperty('page_size')
  })
})

describe('operation options', () => {
  const options = operationOptions()

  it('offers every generated operation by its Chinese summary, sign-in first', () => {
    expect(options[0]).toEqual({ value: 'auth_login', label: '登录' })
    expect(options.find((o) => o.value === 'audit_export')?.label).toMatch(/审计记录/)
    expect(options.find((o) => o.value === 'user_create')?.label).toBe('新建用户')
    expect(new Set(options.map((o) => o.value)).size).toBe(options.length)
    // Every label is Chinese, never a bare operation name.
    for (const option of options) expect(option.label).toMatch(/[\u4e00-\u9fff]/)
  })

  it('also offers the host tools that write their own rows', () => {
    expect(options.find((o) => o.value === 'backup')?.label).toBe('备份')
  })
})

describe('row text', () => {
  it('says the outcome in words, with the code of a failure', () => {
    expect(outcomeText('ok')).toBe('成功')
    expect(outcomeText('wrong_password')).toBe('未成功（wrong_password）')
  })

  it('names roles in Chinese, and a sign-in under an unknown name has none', () => {
    expect(roleText('admin')).toBe('系统管理员')
    expect(roleText('security_admin')).toBe('安全管理员')
    expect(roleText('auditor')).toBe('审计管理员')
    expect(roleText(null)).toBe('—')
  })

  it('shows the host’s Chinese name of an operation, or the raw name it did not know', () => {
    expect(operationText({ operation: 'matter_get', operation_zh: '信访事项详情及时间线' })).toBe('信访事项详情及时间线')
    expect(operationText({ operation: 'no_such_op', operation_zh: '' })).toBe('no_such_op')
  })
})

describe('audit time', () => {
  it('shows the stored UTC instant in Beijing time, to the second', () => {
    expect(formatDateTimeSeconds('2026-12-01T23:21:00.688Z')).toBe('2026-12-02 07:21:00')
    expect(formatDateTimeSeconds('2026-06-30T16:00:09Z')).toBe('2026-07-01 00:00:09')
    expect(formatDateTimeSeconds('')).toBe('')
  })
})
