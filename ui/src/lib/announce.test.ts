// Tests for the announcement queue: one key per call and recall, stale calls dropped.
import { describe, expect, it } from 'vitest'
import { Announcer, STALE_MS, callKey, segmentsFor, type Voice } from './announce'

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

describe('recorded segments', () => {
  it('read the ticket and the room digit by digit', () => {
    expect(segmentsFor('A012', '3号接待室')).toEqual({
      segments: ['qing', 'lA', 'd0', 'd1', 'd2', 'hao', 'dao', 'd3', 'hao', 'jiedaishi'],
      complete: true,
    })
    expect(segmentsFor('B105', '12号窗口').segments.slice(-5)).toEqual(['dao', 'd1', 'd2', 'hao', 'chuangkou'])
  })

  it('read only the ticket when the room has words without a segment', () => {
    expect(segmentsFor('C003', '信访大厅')).toEqual({ segments: ['qing', 'lC', 'd0', 'd0', 'd3', 'hao'], complete: false })
  })

  it('fall back to the segments when there is no Chinese voice, one call at a time', async () => {
    const heard: string[] = []
    let active = 0
    const voice: Voice = {
      chime: async () => void heard.push('chime'),
      speak: async () => false,
      play: async (segments) => {
        active++
        expect(active).toBe(1)
        heard.push(segments.join(' '))
        await new Promise((r) => setTimeout(r, 5))
        active--
      },
    }
    const a = new Announcer(voice)
    a.repeat = 1
    const now = Date.now()
    a.enqueue('请 A001 号 到 1号接待室', now, segmentsFor('A001', '1号接待室').segments)
    a.enqueue('请 A002 号 到 2号接待室', now, segmentsFor('A002', '2号接待室').segments)
    await new Promise((r) => setTimeout(r, 50))
    expect(heard).toEqual([
      'chime',
      'qing lA d0 d0 d1 hao dao d1 hao jiedaishi',
      'chime',
      'qing lA d0 d0 d2 hao dao d2 hao jiedaishi',
    ])
  })

  it('use the system voice when it has one and play no segment', async () => {
    const played: string[][] = []
    const a = new Announcer({ chime: async () => {}, speak: async () => true, play: async (s) => void played.push(s) })
    a.repeat = 2
    a.enqueue('请 A001 号 到 1号接待室', Date.now(), ['qing'])
    await new Promise((r) => setTimeout(r, 20))
    expect(played).toEqual([])
  })
})

describe('bundled segments', () => {
  it('exist for every word the planner can name', () => {
    const files = new Set(Object.keys(import.meta.glob('../../../assets/voice/*.wav')).map((p) => p.split('/').pop()))
    const needed = [
      ...segmentsFor('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', '0123456789号接待室').segments,
      ...['窗口', '调解室', '谈话室', '室'].map((w) => segmentsFor('A1', `1号${w}`).segments.at(-1)!),
    ]
    for (const name of needed) expect(files.has(`${name}.wav`), name).toBe(true)
  })
})
