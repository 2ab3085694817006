// Live screens: re-read when the host says something changed, never more than one read at a
// time (changes that arrive during a read fold into one more read), and a slow poll beside it
// in case the feed itself is down.
import { onBeforeUnmount, onMounted } from 'vue'
import { subscribeChanges, type Change } from '../api/transport'

/** Folds calls that arrive while one runs into a single further call. */
export function coalesce(run: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null
  let again = false
  const trigger = async (): Promise<void> => {
    if (running) {
      again = true
      return running
    }
    running = (async () => {
      do {
        again = false
        try {
          await run()
        } catch {
          // The screen shows its own error; the next change or poll tries again.
        }
      } while (again)
    })()
    try {
      await running
    } finally {
      running = null
    }
  }
  return trigger
}

/** Whether a screen that follows `topics` should re-read for `change`. */
export function concerns(change: Change, topics: readonly Change['topic'][]): boolean {
  return topics.includes(change.topic)
}

/**
 * Calls `refresh` at mount, on every change of `topics` and every `fallbackMs`; stops at unmount.
 * Returns the coalesced refresh, for the screen's own buttons.
 */
export function useLive(refresh: () => Promise<void>, topics: readonly Change['topic'][], fallbackMs = 15_000): () => Promise<void> {
  const trigger = coalesce(refresh)
  let stop: (() => void) | null = null
  let timer: ReturnType<typeof setInterval> | null = null
  onMounted(() => {
    void trigger()
    stop = subscribeChanges((change) => {
      if (concerns(change, topics)) void trigger()
    })
    timer = setInterval(() => void trigger(), fallbackMs)
  })
  onBeforeUnmount(() => {
    stop?.()
    if (timer) clearInterval(timer)
  })
  return trigger
}
