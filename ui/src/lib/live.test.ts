import { describe, expect, it } from 'vitest'
import { coalesce, concerns } from './live'

describe('coalesce', () => {
  it('runs once more for any number of calls during a run, never two at once', async () => {
    let active = 0
    let maxActive = 0
    let runs = 0
    const releases: Array<() => void> = []
    const run = () =>
      new Promise<void>((resolve) => {
        active++
        maxActive = Math.max(maxActive, active)
        runs++
        releases.push(() => {
          active--
          resolve()
        })
      })
    const trigger = coalesce(run)
    const first = trigger()
    void trigger()
    void trigger()
    void trigger()
    expect(runs).toBe(1)
    releases.shift()!()
    await new Promise((r) => setTimeout(r, 0))
    expect(runs).toBe(2)
    releases.shift()!()
    await first
    expect(runs).toBe(2)
    expect(maxActive).toBe(1)
  })

  it('keeps going after a failed run', async () => {
    let runs = 0
    const trigger = coalesce(async () => {
      runs++
      throw new Error('host away')
    })
    await trigger()
    await trigger()
    expect(runs).toBe(2)
  })
})

describe('concerns', () => {
  it('matches the topics a screen follows', () => {
    expect(concerns({ seq: 1, topic: 'hall' }, ['hall'])).toBe(true)
    expect(concerns({ seq: 1, topic: 'register' }, ['hall'])).toBe(false)
  })
})
