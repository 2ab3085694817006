// Tests for the county inbox summaries and states on the sync panel.
import { describe, expect, it } from 'vitest'
import { inboxState, inboxSummary } from './countyInbox'

describe('county inbox rows', () => {
  it('summarise a 交办 by its number, sender, due date and the matter', () => {
    const line = inboxSummary({
      kind: 'county.assignment',
      payload: { reference: '某县信访局交〔2026〕12号', from_unit: '某县信访局', due_on: '2026-12-20', matter: { summary: '欠薪问题' } },
    })
    expect(line).toBe('某县信访局交〔2026〕12号，某县信访局；限2026-12-20前；概况：欠薪问题')
  })

  it('say a withheld accusation is withheld instead of showing nothing', () => {
    const line = inboxSummary({ kind: 'county.forward', payload: { reference: '交〔2026〕1号', from_unit: '县局' } }, '仅办理人可见')
    expect(line).toBe('交〔2026〕1号，县局；仅办理人可见')
  })

  it('show a 督办 message and a calendar year, and fall back to JSON for unknown kinds', () => {
    expect(inboxSummary({ kind: 'county.supervision', payload: { reference: '督3号', from_unit: '县局', message: '请加快办理' } })).toBe('督3号，县局；请加快办理')
    expect(inboxSummary({ kind: 'county.calendar', payload: { year: 2027, version: '通知' } })).toBe('2027年节假日安排（通知）')
    expect(inboxSummary({ kind: 'county.codes', payload: { table: 'x' } })).toBe('{"table":"x"}')
  })

  it('say which field a correction changes, from what to what', () => {
    const line = inboxSummary({
      kind: 'county.correction',
      payload: { reference: '更〔2026〕5号', from_unit: '县局', field: 'content_category', was: 'labour_wages', value: 'labour_pension' },
    })
    expect(line).toBe('更〔2026〕5号，县局；更正内容分类：labour_wages → labour_pension')
  })

  it('tell applied, refused and pending apart', () => {
    expect(inboxState({ applied_at: '2026-12-01T00:00:00Z', error_code: null })).toBe('applied')
    expect(inboxState({ applied_at: null, error_code: 'unknown_code' })).toBe('refused')
    expect(inboxState({ applied_at: null, error_code: null })).toBe('pending')
  })
})
