// Tests for per-field errors that clear when the clerk edits the field.
import { describe, expect, it } from 'vitest'
import { reactive } from 'vue'
import { useFieldErrors } from './fieldErrors'

describe('useFieldErrors', () => {
  it('keeps an error until the value of its field changes', () => {
    const model = reactive({ summary: '', petitioners: [{ id_number: '110105194912310025' }] })
    const errors = useFieldErrors(() => model)
    errors.set('petitioners.0.id_number', '校验位不正确')
    errors.set('summary', '请填写概况')
    expect(errors.first()).toBe('petitioners.0.id_number')

    model.summary = '反映问题'
    expect(errors.errors.summary).toBeUndefined()
    expect(errors.errors['petitioners.0.id_number']).toBe('校验位不正确')

    model.petitioners[0].id_number = '11010519491231002X'
    expect(errors.errors['petitioners.0.id_number']).toBeUndefined()
    expect(errors.first()).toBeNull()
  })

  it('replaces an error set twice and clears everything on demand', () => {
    const model = reactive({ a: '', b: '' })
    const errors = useFieldErrors(() => model)
    errors.set('a', 'one')
    errors.set('a', 'two')
    errors.set('b', 'three')
    expect(errors.errors.a).toBe('two')
    errors.clearAll()
    expect(Object.keys(errors.errors)).toEqual([])
    // No watcher survives clearAll: a later change must not throw or resurrect anything.
    model.a = 'x'
    expect(errors.errors.a).toBeUndefined()
  })
})
