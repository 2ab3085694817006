// The hall's one announcement queue: calls are read out one at a time (never overlapping), a
// call older than a minute when its turn comes is dropped, and each is announced with a chime,
// then spoken: by the system's Chinese voice where there is one, otherwise by the bundled
// recorded segments (assets/voice, copied to dist/voice), and where even those cannot say a
// room's name, the ticket part is read and the board shows the room.
import type { BoardCall } from '../api/types'

/** Words that room names end in and that have a recorded segment. */
const ROOM_WORDS: Record<string, string> = {
  接待室: 'jiedaishi',
  窗口: 'chuangkou',
  调解室: 'tiaojieshi',
  谈话室: 'tanhuashi',
  室: 'shi',
}

function spellSegments(text: string): string[] | null {
  const out: string[] = []
  for (const ch of text.toUpperCase()) {
    if (ch >= '0' && ch <= '9') out.push(`d${ch}`)
    else if (ch >= 'A' && ch <= 'Z') out.push(`l${ch}`)
    else return null
  }
  return out
}

/**
 * The recorded segments that read “请 A012 号 到 3 号接待室”. `complete` is false when the room's
 * name has words without a segment: then only “请 A012 号” is read.
 */
export function segmentsFor(number: string, roomName: string): { segments: string[]; complete: boolean } {
  const ticket = spellSegments(number.trim()) ?? []
  const head = ['qing', ...ticket, 'hao']
  const m = /^\s*([0-9A-Za-z]+)\s*号?\s*(接待室|窗口|调解室|谈话室|室)\s*$/.exec(roomName)
  const roomDigits = m ? spellSegments(m[1]) : null
  if (!m || !roomDigits || ticket.length === 0) return { segments: head, complete: false }
  return { segments: [...head, 'dao', ...roomDigits, 'hao', ROOM_WORDS[m[2]]], complete: true }
}

/** Older calls are not read out any more. */
export const STALE_MS = 60_000

/** One announcement per call: a recall (more calls) is announced again. */
export function callKey(call: Pick<BoardCall, 'room_name' | 'number' | 'calls'>): string {
  return `${call.room_name}|${call.number}|${call.calls}`
}

interface Item {
  text: string
  calledAt: number
  segments: string[]
}

/** How a call is made audible; the defaults use the browser, tests pass their own. */
export interface Voice {
  chime(): Promise<void>
  /** Speaks `text` with a Chinese system voice; false when there is none. */
  speak(text: string): Promise<boolean>
  /** Plays the recorded segments in order. */
  play(segments: string[]): Promise<void>
}

export const browserVoice: Voice = { chime, speak, play: playSegments }

let blockedListener: (() => void) | null = null

/**
 * Hears when the browser refused to play sound until someone clicks the page (its autoplay
 * rule); the board then shows a button that, clicked once, lets every later call be heard.
 */
export function onSoundBlocked(listener: (() => void) | null): void {
  blockedListener = listener
}

export class Announcer {
  private queue: Item[] = []
  private busy = false
  private stopped = false
  /** How often each call is spoken (configurable on the board; default twice). */
  repeat = 2

  constructor(private readonly voice: Voice = browserVoice) {}

  enqueue(text: string, calledAt: number, segments: string[] = []): void {
    this.queue.push({ text, calledAt, segments })
    void this.next()
  }

  stop(): void {
    this.stopped = true
    this.queue = []
  }

  /** The items still to announce (for tests). */
  pending(now = Date.now()): string[] {
    return this.queue.filter((i) => now - i.calledAt <= STALE_MS).map((i) => i.text)
  }

  private async next(): Promise<void> {
    if (this.busy || this.stopped) return
    const item = this.queue.shift()
    if (!item) return
    if (Date.now() - item.calledAt > STALE_MS) return this.next()
    this.busy = true
    try {
      await this.voice.chime()
      for (let i = 0; i < this.repeat && !this.stopped; i++) {
        const spoken = await this.voice.speak(item.text)
        if (!spoken && item.segments.length) await this.voice.play(item.segments)
      }
    } finally {
      this.busy = false
      void this.next()
    }
  }
}

function chime(): Promise<void> {
  return new Promise((resolve) => {
    try {
      const Ctx = window.AudioContext
      if (!Ctx) return resolve()
      const ctx = new Ctx()
      const tone = (freq: number, start: number) => {
        const osc = ctx.createOscillator()
        const gain = ctx.createGain()
        osc.frequency.value = freq
        gain.gain.setValueAtTime(0.2, ctx.currentTime + start)
        gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + start + 0.6)
        osc.connect(gain).connect(ctx.destination)
        osc.start(ctx.currentTime + start)
        osc.stop(ctx.currentTime + start + 0.6)
      }
      tone(880, 0)
      tone(660, 0.35)
      setTimeout(() => {
        void ctx.close()
        resolve()
      }, 1100)
    } catch {
      resolve()
    }
  })
}

function speak(text: string): Promise<boolean> {
  return new Promise((resolve) => {
    const synth = typeof window !== 'undefined' ? window.speechSynthesis : undefined
    const voice = synth?.getVoices().find((v) => v.lang.toLowerCase().startsWith('zh'))
    if (!synth || !voice) return resolve(false)
    const u = new SpeechSynthesisUtterance(text)
    u.voice = voice
    u.lang = voice.lang
    u.onend = () => resolve(true)
    u.onerror = () => resolve(true)
    synth.speak(u)
  })
}

/** Plays one bundled segment; resolves when it ends, fails to load, or is not allowed to play. */
function playOne(name: string): Promise<void> {
  return new Promise((resolve) => {
    const audio = new Audio(`voice/${name}.wav`)
    // A segment is under two seconds; never let a stuck one hold the queue.
    const timer = setTimeout(finish, 3000)
    function finish() {
      clearTimeout(timer)
      audio.onended = null
      audio.onerror = null
      resolve()
    }
    audio.onended = finish
    audio.onerror = finish
    audio.play().catch((err: unknown) => {
      if (err instanceof DOMException && err.name === 'NotAllowedError') blockedListener?.()
      finish()
    })
  })
}

async function playSegments(segments: string[]): Promise<void> {
  for (const name of segments) await playOne(name)
}
