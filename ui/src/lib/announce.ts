// The hall's one announcement queue: calls are read out one at a time (never overlapping), a
// call older than a minute when its turn comes is dropped, and each is announced with a chime
// and, where the system has a Chinese voice, speech; otherwise the chime and the board alone.
import type { BoardCall } from '../api/types'

/** Older calls are not read out any more. */
export const STALE_MS = 60_000

/** One announcement per call: a recall (more calls) is announced again. */
export function callKey(call: Pick<BoardCall, 'room_name' | 'number' | 'calls'>): string {
  return `${call.room_name}|${call.number}|${call.calls}`
}

interface Item {
  text: string
  calledAt: number
}

export class Announcer {
  private queue: Item[] = []
  private busy = false
  private stopped = false
  /** How often each call is spoken (configurable on the board; default twice). */
  repeat = 2

  enqueue(text: string, calledAt: number): void {
    this.queue.push({ text, calledAt })
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
      await chime()
      for (let i = 0; i < this.repeat; i++) await speak(item.text)
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

function speak(text: string): Promise<void> {
  return new Promise((resolve) => {
    const synth = window.speechSynthesis
    const voice = synth?.getVoices().find((v) => v.lang.toLowerCase().startsWith('zh'))
    if (!synth || !voice) return resolve()
    const u = new SpeechSynthesisUtterance(text)
    u.voice = voice
    u.lang = voice.lang
    u.onend = () => resolve()
    u.onerror = () => resolve()
    synth.speak(u)
  })
}
