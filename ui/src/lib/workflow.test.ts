// Tests for the handling-action table: what is offered in which status and to whom, and how a
// filled form becomes the operation's input.
import { describe, expect, it } from 'vitest'
import type { MatterClock, MatterDetail, MatterStatus } from '../api/types'
import { ACTIONS, availableActions, detailText, emptyValues, errorKey, toInput } from './workflow'

function clock(kind: string, status: 'open' | 'met' = 'open'): MatterClock {
  return { kind, status } as unknown as MatterClock
}

function detail(status: MatterStatus, clocks: MatterClock[] = [], basis: string | null = null): MatterDetail {
  return {
    matter: { id: 'm1', status, request: '要求支付拖欠的工资' },
    clocks,
    no_longer_accept_basis: basis,
  } as unknown as MatterDetail
}

const keys = (d: MatterDetail, role: Parameters<typeof availableActions>[1]) => availableActions(d, role).map((a) => a.key)

describe('availableActions', () => {
  it('offers the decisions on a registered matter, but not 不再受理 without a basis', () => {
    const k = keys(detail('registered', [clock('D1'), clock('D2')]), 'handler')
    expect(k).toEqual(expect.arrayContaining(['accept', 'forward', 'assign', 'not_accept', 'notice']))
    expect(k).not.toContain('no_longer_accept')
    expect(k).not.toContain('answer')
    expect(k).not.toContain('supervise')
  })

  it('offers 不再受理 when the host found a basis', () => {
    expect(keys(detail('registered', [], '原事项已经复核'), 'handler')).toContain('no_longer_accept')
  })

  it('offers one extension while the 60-day clock runs, none after it was used', () => {
    expect(keys(detail('accepted', [clock('D5')]), 'handler')).toContain('extend')
    expect(keys(detail('accepted', [clock('D5', 'met'), clock('D6')]), 'handler')).not.toContain('extend')
    // 办结 waits for the answer while a handling clock runs.
    expect(keys(detail('accepted', [clock('D5')]), 'handler')).not.toContain('close')
  })

  it('keeps 督办 and 包案 for supervisors and nothing for the administrator or guide', () => {
    expect(keys(detail('forwarded'), 'supervisor')).toEqual(expect.arrayContaining(['supervise', 'ownership']))
    expect(keys(detail('forwarded'), 'admin')).toEqual([])
    expect(keys(detail('forwarded'), 'guide')).toEqual([])
    expect(keys(detail('closed'), 'supervisor')).toEqual([])
  })
})

describe('toInput', () => {
  it('trims text, sends blanks as null and drops empty item rows', () => {
    const answer = ACTIONS.find((a) => a.key === 'answer')!
    const values = emptyValues(answer, detail('accepted'))
    values.items = [
      { item: ' 支付工资 ', outcome: 'support', basis: '' },
      { item: '', outcome: '', basis: '' },
    ]
    values.delivery_method = '  '
    values.delivered_on = '2026-11-28'
    expect(toInput(answer, 'm1', values)).toEqual({
      matter_id: 'm1',
      opinion: null,
      facts: null,
      legal_basis: null,
      items: [{ item: '支付工资', outcome: 'support', basis: null }],
      delivered_on: '2026-11-28',
      delivery_method: null,
      next_body: null,
      note: null,
    })
  })

  it('adds the fixed kind of a note and starts 不再受理 from the host’s reason', () => {
    const note = ACTIONS.find((a) => a.key === 'note')!
    expect(toInput(note, 'm1', { note: '电话联系' })).toEqual({ matter_id: 'm1', kind: 'note', note: '电话联系' })
    const nla = ACTIONS.find((a) => a.key === 'no_longer_accept')!
    expect(emptyValues(nla, detail('registered', [], '原事项已经复核')).reason).toBe('原事项已经复核')
  })
})

describe('errorKey and detailText', () => {
  it('maps an item error to the items field and ignores unknown fields', () => {
    const answer = ACTIONS.find((a) => a.key === 'answer')!
    expect(errorKey('items[0].item', answer)).toBe('items')
    expect(errorKey('delivered_on', answer)).toBe('delivered_on')
    expect(errorKey('matter_id', answer)).toBeNull()
  })

  it('describes a step in one line', () => {
    expect(
      detailText({ effective_on: '2026-11-28', method: '直接送达', items: [{ item: '工资', outcome: 'support' }] } as never),
    ).toBe('日期：2026-11-28；方式：直接送达；工资——支持')
  })
})

describe('reminderText', () => {
  it('names what is pressing and stays quiet otherwise', async () => {
    const { reminderText } = await import('./reminders')
    expect(reminderText({ overdue: 0, due_today: 0, approaching: 0 })).toBeNull()
    expect(reminderText({ overdue: 2, due_today: 0, approaching: 1 })).toBe('您承办的事项中，2项已逾期，1项临期')
  })
})
