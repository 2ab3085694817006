// Keystroke handling for ID-number fields fed by a keyboard-wedge ID-card reader (or typed by hand).
//
// A wedge reader "types" the 18 characters within a few milliseconds each and then presses
// Enter. Two things follow: Enter in the field means "look this person up", never "submit the
// form"; and when the field already held a number, the reader's characters land after it (or
// wherever the caret was), so the number to use is the fast burst, not the field's whole text.

/** Characters that can appear in a mainland ID number. */
const ID_CHAR = /^[0-9Xx０-９Ｘｘ]$/

/** Keys that edit or move within the field and so end any burst in progress. */
const BREAKING_KEYS = new Set(['Backspace', 'Delete', 'ArrowLeft', 'ArrowRight', 'Home', 'End', 'Escape', 'Tab'])

export interface WedgeOptions {
  /** Largest gap between two keystrokes of one burst. Readers: ~1–20 ms; people: rarely < 60 ms for long. */
  maxGapMs: number
  /** Fewest characters that count as a reader burst (15 for legacy numbers). */
  minBurst: number
}

export const DEFAULT_WEDGE_OPTIONS: WedgeOptions = { maxGapMs: 50, minBurst: 15 }

/** The parts of a KeyboardEvent the tracker needs, so tests can feed plain objects. */
export interface KeyLike {
  key: string
  isComposing?: boolean
  keyCode?: number
  ctrlKey?: boolean
  altKey?: boolean
  metaKey?: boolean
}

/** Full-width digits and X (some IMEs and readers produce them) to ASCII; spaces and dashes out. */
export function normaliseIdNumber(raw: string): string {
  return raw
    .replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[Ｘｘ]/g, 'X')
    .replace(/[\s\-‐－]/g, '')
    .replace(/x/g, 'X')
}

/** Whether `value` is shaped like a resident ID number (15 digits, or 17 digits and a check character). */
export function looksLikeIdNumber(value: string): boolean {
  return /^\d{15}$/.test(value) || /^\d{17}[\dX]$/.test(value)
}

/** Enter that should commit the field: not while an IME is composing (Enter then confirms a word). */
export function isCommitKey(event: KeyLike): boolean {
  return event.key === 'Enter' && !event.isComposing && event.keyCode !== 229
}

/**
 * Remembers the current run of fast keystrokes. Feed it every keydown of the field; ask it on
 * Enter which number was meant.
 */
export class WedgeTracker {
  private burst = ''
  private lastAt = Number.NEGATIVE_INFINITY
  private readonly options: WedgeOptions
  private readonly now: () => number

  constructor(options: Partial<WedgeOptions> = {}, now: () => number = () => performance.now()) {
    this.options = { ...DEFAULT_WEDGE_OPTIONS, ...options }
    this.now = now
  }

  /** Records one keydown. */
  keydown(event: KeyLike): void {
    if (event.ctrlKey || event.altKey || event.metaKey || BREAKING_KEYS.has(event.key)) {
      this.reset()
      return
    }
    if (event.key.length !== 1 || !ID_CHAR.test(event.key)) {
      // Enter and other non-character keys neither extend nor break a burst.
      if (event.key.length === 1) this.reset()
      return
    }
    const at = this.now()
    if (at - this.lastAt > this.options.maxGapMs) this.burst = ''
    this.burst += event.key
    this.lastAt = at
  }

  /** The burst so far, when it is long enough to have come from a reader. */
  readerBurst(): string | null {
    const value = normaliseIdNumber(this.burst)
    if (value.length < this.options.minBurst) return null
    // A reader that was swiped twice quickly sends 36 characters; the last card counts.
    const tail = value.length > 18 ? value.slice(-18) : value
    return looksLikeIdNumber(tail) ? tail : null
  }

  reset(): void {
    this.burst = ''
    this.lastAt = Number.NEGATIVE_INFINITY
  }
}

/**
 * The ID number to use when Enter is pressed in the field. When the field holds exactly one
 * number-shaped value, that is it, however fast it was typed: a slow burst split by a busy
 * machine must never cut a number short (the tail of an 18-digit number looks like a 15-digit
 * one). Only when the field holds more than one number (a swipe after old or half-typed text)
 * does the reader's burst pick the number that was just read.
 */
export function resolveEnteredIdNumber(fieldValue: string, burst: string | null): string {
  const typed = normaliseIdNumber(fieldValue)
  if (looksLikeIdNumber(typed) || !burst) return typed
  return burst
}
