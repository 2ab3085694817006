// Per-field error messages for a form: set from a failed save, cleared as soon as the clerk edits that field.
import { reactive, watch, type WatchStopHandle } from 'vue'
import { valueAt } from './fieldPath'

export interface FieldErrors {
  /** prop → message; bind to `<el-form-item :error="errors[prop]">`. */
  readonly errors: Record<string, string>
  set(prop: string, message: string): void
  clear(prop: string): void
  clearAll(): void
  /** The first prop with an error, in the order they were set. */
  first(): string | null
}

/**
 * Errors for the form whose model `model()` returns. An error disappears when the value it is
 * about changes, so the message never lingers next to a corrected entry, and never disappears
 * before the clerk has done something about it.
 */
export function useFieldErrors(model: () => unknown): FieldErrors {
  const errors = reactive<Record<string, string>>({})
  const watchers = new Map<string, WatchStopHandle>()

  function clear(prop: string): void {
    watchers.get(prop)?.()
    watchers.delete(prop)
    delete errors[prop]
  }

  function set(prop: string, message: string): void {
    clear(prop)
    errors[prop] = message
    const stop = watch(
      () => valueAt(model(), prop),
      () => clear(prop),
      { deep: true, flush: 'sync' },
    )
    watchers.set(prop, stop)
  }

  function clearAll(): void {
    for (const prop of [...Object.keys(errors)]) clear(prop)
  }

  function first(): string | null {
    return Object.keys(errors)[0] ?? null
  }

  return { errors, set, clear, clearAll, first }
}
