// Per-machine display preferences (大字模式), kept in localStorage and applied to <html>.
import { ref, watch } from 'vue'

const LARGE_TEXT_KEY = 'xinfang.largeText'
const LARGE_TEXT_CLASS = 'large-text'

function readLargeText(): boolean {
  try {
    return localStorage.getItem(LARGE_TEXT_KEY) === '1'
  } catch {
    return false
  }
}

/** Whether large text is on; a desk PC keeps its setting for whoever sits at it. */
export const largeText = ref(readLargeText())

export function applyLargeText(on: boolean): void {
  document.documentElement.classList.toggle(LARGE_TEXT_CLASS, on)
}

watch(largeText, (on) => {
  applyLargeText(on)
  try {
    localStorage.setItem(LARGE_TEXT_KEY, on ? '1' : '0')
  } catch {
    // Without storage the setting still holds for this page.
  }
})
