// Tests for the announcement queue: one key per call and recall, stale calls dropped.
import { describe, expect, it } from 'vitest'
import { Announcer, STALE_MS, callKey } from './announce'

describe('announcements', () => {
  it('announces a recall again but not the same call twice', () => {
    const call = { room_name: '1号接待室', number: 'A001', calls: 1 }
    expect(callKey(call)).toBe(callKey({ ...call }))
    expect(callKey({ ...call, calls: 2 })).not.toBe(callKey(call))
  })

  it('drops calls that have gone stale while others were read out', () => {
    const a = new Announcer()
    a.stop() // nothing is played in the test; only the queue's bookkeeping is checked
    const now = Date.now()
    ;(a as unknown as { queue: { text: string; calledAt: number }[] }).queue = [
      { text: '请 A001 号 到 1号接待室', calledAt: now - STALE_MS - 1 },
      { text: '请 A002 号 到 2号接待室', calledAt: now - 1000 },
    ]
    expect(a.pending(now)).toEqual(['请 A002 号 到 2号接待室'])
  })
})
