// Enter moves to the next field in long data-entry forms, as clerks who copy letters expect.
//
// Submitting on Enter is dangerous in a 20-field form (one stray Enter saves half a letter);
// moving on is what 信访 and other government entry systems have trained users to expect.
// Saving is Ctrl+Enter. Widgets that use Enter themselves (select, cascader, date picker,
// textarea) keep it.

const FIELD_SELECTOR = [
  'input:not([type=hidden]):not([disabled]):not([tabindex="-1"])',
  'textarea:not([disabled]):not([tabindex="-1"])',
].join(', ')

/** Containers whose input handles Enter itself. */
const OWNS_ENTER = '.el-select, .el-cascader, .el-date-editor, .el-autocomplete, [data-own-enter]'

const ADVANCING_TYPES = new Set(['text', 'tel', 'search', 'number', 'email', 'password', ''])

/** Whether Enter on `target` should move to the next field. */
export function advancesOnEnter(target: EventTarget | null): target is HTMLInputElement {
  if (!(target instanceof HTMLInputElement)) return false
  if (!ADVANCING_TYPES.has(target.type)) return false
  return target.closest(OWNS_ENTER) === null
}

function defaultVisible(el: Element): boolean {
  return el.getClientRects().length > 0
}

/** The field after `current` inside `container`, in document order, skipping hidden ones. */
export function nextField(
  container: ParentNode,
  current: Element,
  isVisible: (el: Element) => boolean = defaultVisible,
): HTMLElement | null {
  const fields = Array.from(container.querySelectorAll<HTMLElement>(FIELD_SELECTOR)).filter(
    (el) => el === current || isVisible(el),
  )
  const index = fields.indexOf(current as HTMLElement)
  if (index < 0) return null
  return fields[index + 1] ?? null
}

/**
 * A keydown handler for a form container: Enter in a plain input focuses the next field.
 * Handlers that already dealt with Enter call preventDefault, and are left alone.
 */
export function handleEnterToNext(event: KeyboardEvent, container: HTMLElement | null | undefined): void {
  if (event.key !== 'Enter' || event.defaultPrevented || event.isComposing) return
  if (event.ctrlKey || event.metaKey || event.altKey || event.shiftKey) return
  if (!container || !advancesOnEnter(event.target)) return
  event.preventDefault()
  const next = nextField(container, event.target)
  next?.focus()
}
