// Tests for mapping the host's error paths onto form items.
import { describe, expect, it } from 'vitest'
import { normaliseFieldPath, toFormProp, valueAt } from './fieldPath'
import { MATTER_FIELD_RULES } from './matterForm'

const onScreen = new Set([
  'channel',
  'purpose',
  'matter_class',
  'summary',
  'request',
  'facts_reasons',
  'received_date',
  'region_code',
  'petitioners.0.name',
  'petitioners.0.id_number',
  'petitioners.0.phone',
  'petitioners.0.current_address',
  'petitioners.1.name',
  'petitioners.1.id_number',
])
const known = (prop: string) => onScreen.has(prop)

describe('normaliseFieldPath', () => {
  it('turns indices into dotted segments', () => {
    expect(normaliseFieldPath('petitioners[0].person.id_number')).toBe('petitioners.0.person.id_number')
    expect(normaliseFieldPath('a[12][3].b')).toBe('a.12.3.b')
  })

  it('drops leading markers some serialisers add', () => {
    expect(normaliseFieldPath('.summary')).toBe('summary')
    expect(normaliseFieldPath('$.summary')).toBe('summary')
    expect(normaliseFieldPath('  summary ')).toBe('summary')
  })
})

describe('toFormProp with the registration form rules', () => {
  it('maps a petitioner person field to the row field', () => {
    expect(toFormProp('petitioners[0].person.id_number', MATTER_FIELD_RULES, known)).toBe('petitioners.0.id_number')
    expect(toFormProp('petitioners[1].person.name', MATTER_FIELD_RULES, known)).toBe('petitioners.1.name')
    expect(toFormProp('petitioners[0].person.current_address', MATTER_FIELD_RULES, known)).toBe(
      'petitioners.0.current_address',
    )
  })

  it('points errors about a whole petitioner at its name', () => {
    expect(toFormProp('petitioners[1].person', MATTER_FIELD_RULES, known)).toBe('petitioners.1.name')
    expect(toFormProp('petitioners[0].person_id', MATTER_FIELD_RULES, known)).toBe('petitioners.0.name')
    expect(toFormProp('petitioners', MATTER_FIELD_RULES, known)).toBe('petitioners.0.name')
  })

  it('renames fields the form shapes differently', () => {
    expect(toFormProp('received_at', MATTER_FIELD_RULES, known)).toBe('received_date')
  })

  it('keeps plain top-level fields as they are', () => {
    expect(toFormProp('summary', MATTER_FIELD_RULES, known)).toBe('summary')
    expect(toFormProp('region_code', MATTER_FIELD_RULES, known)).toBe('region_code')
  })

  it('climbs to the nearest item on screen for a field the form does not show', () => {
    // No workplace box in this fake screen, and no item for the row as a whole either.
    expect(toFormProp('petitioners[0].person.workplace', MATTER_FIELD_RULES, known)).toBeNull()
    const withRow = (prop: string) => prop === 'petitioners.0' || known(prop)
    expect(toFormProp('petitioners[0].person.workplace', MATTER_FIELD_RULES, withRow)).toBe('petitioners.0')
  })

  it('returns null for no field or a field of another form, so the message goes to the top', () => {
    expect(toFormProp(undefined, MATTER_FIELD_RULES, known)).toBeNull()
    expect(toFormProp('', MATTER_FIELD_RULES, known)).toBeNull()
    expect(toFormProp('visit_id', MATTER_FIELD_RULES, known)).toBeNull()
    // A conditional item that is not rendered (route only shows for 申诉求决).
    expect(toFormProp('route', MATTER_FIELD_RULES, known)).toBeNull()
  })
})

describe('valueAt', () => {
  it('reads dotted paths through arrays', () => {
    const model = { petitioners: [{ name: '王伟' }, { name: '李娜' }], summary: 'x' }
    expect(valueAt(model, 'petitioners.1.name')).toBe('李娜')
    expect(valueAt(model, 'summary')).toBe('x')
    expect(valueAt(model, 'petitioners.5.name')).toBeUndefined()
    expect(valueAt(model, 'summary.length.x')).toBeUndefined()
  })
})
