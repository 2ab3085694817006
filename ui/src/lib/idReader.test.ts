// Tests for the keyboard-wedge ID-card reader handling: bursts, Enter, normalisation.
import { describe, expect, it } from 'vitest'
import {
  WedgeTracker,
  isCommitKey,
  looksLikeIdNumber,
  normaliseIdNumber,
  resolveEnteredIdNumber,
} from './idReader'

/** A tracker on a fake clock, and a way to type characters `gap` ms apart. */
function setup(options = {}) {
  let now = 1_000
  const tracker = new WedgeTracker(options, () => now)
  const type = (text: string, gap: number) => {
    for (const key of text) {
      now += gap
      tracker.keydown({ key })
    }
  }
  const wait = (ms: number) => {
    now += ms
  }
  return { tracker, type, wait }
}

const ID = '11010519491231002X'

describe('WedgeTracker', () => {
  it('recognises a reader: 18 characters a few milliseconds apart', () => {
    const { tracker, type } = setup()
    type(ID, 4)
    expect(tracker.readerBurst()).toBe(ID)
  })

  it('does not mistake a person typing for a reader', () => {
    const { tracker, type } = setup()
    type(ID, 180)
    expect(tracker.readerBurst()).toBeNull()
  })

  it('uses only the fast part when a swipe follows typed text', () => {
    const { tracker, type, wait } = setup()
    type('1101', 200)
    wait(2_000)
    type(ID, 5)
    expect(tracker.readerBurst()).toBe(ID)
  })

  it('takes the last card of a double swipe', () => {
    const { tracker, type } = setup()
    type('320681197506151234', 3)
    type(ID, 3)
    expect(tracker.readerBurst()).toBe(ID)
  })

  it('accepts 15-digit legacy numbers and lowercase x', () => {
    const { tracker, type } = setup()
    type('110105491231002', 3)
    expect(tracker.readerBurst()).toBe('110105491231002')
    tracker.reset()
    type('11010519491231002x', 3)
    expect(tracker.readerBurst()).toBe(ID)
  })

  it('breaks a burst on editing keys, modifiers and non-ID characters', () => {
    const { tracker, type } = setup()
    type('110105194912', 3)
    tracker.keydown({ key: 'Backspace' })
    type('31002X', 3)
    expect(tracker.readerBurst()).toBeNull()

    tracker.reset()
    type('1101051949123', 3)
    tracker.keydown({ key: 'v', ctrlKey: true })
    type('1002X', 3)
    expect(tracker.readerBurst()).toBeNull()

    tracker.reset()
    type('110105194912310', 3)
    type('a', 3)
    type('02X', 3)
    expect(tracker.readerBurst()).toBeNull()
  })

  it('ignores Shift and Enter inside a burst (readers send Shift for X)', () => {
    const { tracker, type } = setup()
    type('11010519491231002', 3)
    tracker.keydown({ key: 'Shift' })
    type('X', 3)
    expect(tracker.readerBurst()).toBe(ID)
  })

  it('starts over after a pause longer than the gap', () => {
    const { tracker, type, wait } = setup({ maxGapMs: 30 })
    type('110105194912310', 3)
    wait(100)
    type('02X', 3)
    expect(tracker.readerBurst()).toBeNull()
  })
})

describe('isCommitKey', () => {
  it('is Enter, but not while an IME is composing', () => {
    expect(isCommitKey({ key: 'Enter' })).toBe(true)
    expect(isCommitKey({ key: 'Enter', isComposing: true })).toBe(false)
    expect(isCommitKey({ key: 'Enter', keyCode: 229 })).toBe(false)
    expect(isCommitKey({ key: 'Tab' })).toBe(false)
  })
})

describe('normaliseIdNumber', () => {
  it('converts full-width characters and drops spaces and dashes', () => {
    expect(normaliseIdNumber('１１０１０５１９４９１２３１００２ｘ')).toBe(ID)
    expect(normaliseIdNumber(' 110105 1949-1231 002x ')).toBe(ID)
  })
})

describe('resolveEnteredIdNumber', () => {
  it('prefers the reader burst when the field holds more than one number', () => {
    expect(resolveEnteredIdNumber(`320681197506151234${ID}`, ID)).toBe(ID)
  })

  it('uses the normalised field text when typed by hand', () => {
    expect(resolveEnteredIdNumber(' 11010519491231002x', null)).toBe(ID)
  })

  it('never trusts a burst over a whole number in the field (a slow machine splits bursts)', () => {
    // Under load the first keys of a swipe came 75 ms apart: the "burst" is only the last 15
    // digits, which happen to look like a legacy number. The field holds the real one.
    const { tracker, type, wait } = setup()
    type('110', 20)
    wait(75)
    type('105194912310025', 20)
    expect(tracker.readerBurst()).toBe('105194912310025')
    expect(resolveEnteredIdNumber('110105194912310025', tracker.readerBurst())).toBe('110105194912310025')
  })

  it('keeps what does not look like a number at all for the host to explain', () => {
    expect(resolveEnteredIdNumber('1101', null)).toBe('1101')
    expect(resolveEnteredIdNumber('E1234567', null)).toBe('E1234567')
  })
})

describe('looksLikeIdNumber', () => {
  it('accepts 15 and 18 character shapes only', () => {
    expect(looksLikeIdNumber(ID)).toBe(true)
    expect(looksLikeIdNumber('110105491231002')).toBe(true)
    expect(looksLikeIdNumber('1101051949123100')).toBe(false)
    expect(looksLikeIdNumber('X10105194912310021')).toBe(false)
  })
})
