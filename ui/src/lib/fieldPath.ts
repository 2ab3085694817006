// Maps the input path an error names (`petitioners[0].person.id_number`) to the form item that shows it.
//
// The backend names fields by the JSON path of its input type; forms are shaped for people and
// differ in places (a petitioner's fields sit directly in the row, a date is a date not a time).
// Each form declares rewrite rules; whatever still does not name a form item climbs to its parent,
// and an error with no matching item at all is shown at the top of the form.

export interface FieldRule {
  /** Matched against the normalised path (`petitioners.0.person.id_number`). */
  pattern: RegExp
  /** Replacement, with `$1`… for the pattern's groups. */
  prop: string
}

/** `a[0].b` → `a.0.b`; also drops a leading `.` or `$.` some serialisers add. */
export function normaliseFieldPath(field: string): string {
  return field
    .trim()
    .replace(/^\$?\./, '')
    .replace(/\[(\d+)\]/g, '.$1')
    .replace(/\[["']?([^\]"']+)["']?\]/g, '.$1')
    .replace(/^\./, '')
}

/**
 * The form item prop for `field`, or null when none of the form's items can show it.
 * `isKnown` says whether a prop is a form item currently on screen.
 */
export function toFormProp(
  field: string | null | undefined,
  rules: readonly FieldRule[],
  isKnown: (prop: string) => boolean,
): string | null {
  if (!field) return null
  let path = normaliseFieldPath(field)
  for (const rule of rules) {
    if (rule.pattern.test(path)) {
      path = path.replace(rule.pattern, rule.prop)
      break
    }
  }
  const segments = path.split('.').filter(Boolean)
  while (segments.length > 0) {
    const candidate = segments.join('.')
    if (isKnown(candidate)) return candidate
    segments.pop()
  }
  return null
}

/** The value at a dotted prop path inside a model (`petitioners.0.name`). */
export function valueAt(model: unknown, prop: string): unknown {
  let current: unknown = model
  for (const key of prop.split('.')) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string, unknown>)[key]
  }
  return current
}
