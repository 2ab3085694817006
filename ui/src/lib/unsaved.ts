// Which screens hold typed-but-unsaved work, so signing out and closing the window can warn first.
import { reactive } from 'vue'

const dirty = reactive(new Set<string>())

export function markUnsaved(screen: string, unsaved: boolean): void {
  if (unsaved) dirty.add(screen)
  else dirty.delete(screen)
}

export function hasUnsavedWork(): boolean {
  return dirty.size > 0
}

// Closing the tab or window with unsaved work asks first; the draft in sessionStorage would
// not survive the browser closing.
if (typeof window !== 'undefined') {
  window.addEventListener('beforeunload', (event) => {
    if (dirty.size > 0) {
      event.preventDefault()
      event.returnValue = ''
    }
  })
}
