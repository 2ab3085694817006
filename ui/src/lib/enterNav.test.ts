// Tests for Enter-moves-to-the-next-field in data-entry forms.
import { beforeEach, describe, expect, it } from 'vitest'
import { advancesOnEnter, handleEnterToNext, nextField } from './enterNav'

let form: HTMLElement

beforeEach(() => {
  document.body.innerHTML = `
    <form id="f">
      <input id="name" type="text">
      <div class="el-select"><input id="select" type="text"></div>
      <input id="derived" type="text" tabindex="-1">
      <input id="disabled" type="text" disabled>
      <textarea id="facts"></textarea>
      <input id="check" type="checkbox">
      <div data-own-enter><input id="id-number" type="text"></div>
    </form>`
  form = document.getElementById('f')!
})

const el = (id: string) => document.getElementById(id)!
const always = () => true

describe('advancesOnEnter', () => {
  it('is true for plain text inputs only', () => {
    expect(advancesOnEnter(el('name'))).toBe(true)
    expect(advancesOnEnter(el('select'))).toBe(false)
    expect(advancesOnEnter(el('facts'))).toBe(false)
    expect(advancesOnEnter(el('check'))).toBe(false)
    expect(advancesOnEnter(el('id-number'))).toBe(false)
    expect(advancesOnEnter(null)).toBe(false)
  })
})

describe('nextField', () => {
  it('skips derived and disabled fields', () => {
    expect(nextField(form, el('name'), always)).toBe(el('select'))
    expect(nextField(form, el('select'), always)).toBe(el('facts'))
    expect(nextField(form, el('id-number'), always)).toBeNull()
  })

  it('skips hidden fields', () => {
    const visible = (e: Element) => e.id !== 'select'
    expect(nextField(form, el('name'), visible)).toBe(el('facts'))
  })
})

describe('handleEnterToNext', () => {
  function press(target: HTMLElement, init: KeyboardEventInit = {}) {
    const event = new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true, ...init })
    Object.defineProperty(event, 'target', { value: target })
    handleEnterToNext(event, form)
    return event
  }

  it('prevents submit on Enter in a plain input', () => {
    expect(press(el('name')).defaultPrevented).toBe(true)
  })

  it('leaves Ctrl+Enter, IME Enter and widget Enter alone', () => {
    expect(press(el('name'), { ctrlKey: true }).defaultPrevented).toBe(false)
    expect(press(el('name'), { isComposing: true }).defaultPrevented).toBe(false)
    expect(press(el('select')).defaultPrevented).toBe(false)
    expect(press(el('facts')).defaultPrevented).toBe(false)
  })
})
