// The connection to the centre host as the banner shows it: lost on the first unreachable call,
// retried every few seconds in the background, restored by the first answer from the host.
import { reactive } from 'vue'
import { onConnectionChange, probeHost } from '../api/transport'

/** How often to try the host again while it is away. */
export const RETRY_MS = 5_000

export const connection = reactive({
  /** The last call could not reach the host. */
  lost: false,
  /** A retry is running now. */
  retrying: false,
  /** When the connection was lost (for the banner). */
  since: null as Date | null,
})

let timer: ReturnType<typeof setTimeout> | null = null

function schedule(): void {
  if (timer !== null) return
  timer = setTimeout(() => {
    timer = null
    void retryNow()
  }, RETRY_MS)
}

/** Tries the host now (also the banner's 立即重试 button). */
export async function retryNow(): Promise<void> {
  if (connection.retrying) return
  connection.retrying = true
  try {
    const back = await probeHost()
    if (!back) schedule()
  } finally {
    connection.retrying = false
  }
}

onConnectionChange((reachable) => {
  if (reachable) {
    connection.lost = false
    connection.since = null
    if (timer !== null) {
      clearTimeout(timer)
      timer = null
    }
  } else {
    if (!connection.lost) connection.since = new Date()
    connection.lost = true
    schedule()
  }
})
