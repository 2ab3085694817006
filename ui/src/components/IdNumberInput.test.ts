// Tests for the ID-number input as a component: what Enter does for a card reader and for a person.
import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import { defineComponent, h, ref } from 'vue'
import IdNumberInput from './IdNumberInput.vue'

const ID = '11010519491231002X'

function mountInForm(initial = '') {
  const value = ref(initial)
  const commits: string[] = []
  let submits = 0
  const Host = defineComponent({
    setup() {
      return () =>
        h('form', { onSubmit: (e: Event) => { e.preventDefault(); submits += 1 } }, [
          h(IdNumberInput, {
            modelValue: value.value,
            'onUpdate:modelValue': (v: string) => (value.value = v),
            onCommit: (v: string) => commits.push(v),
          }),
        ])
    },
  })
  const wrapper = mount(Host, { attachTo: document.body })
  return { wrapper, value, commits, submits: () => submits }
}

describe('IdNumberInput', () => {
  it('commits a reader swipe on Enter and does not let Enter reach the form', async () => {
    const { wrapper, value, commits } = mountInForm('320681197506151234')
    const input = wrapper.find('input')
    // The reader types after what the field already held.
    for (const key of ID) await input.trigger('keydown', { key })
    await input.setValue(`320681197506151234${ID}`)
    const enter = new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true })
    let reachedForm = false
    wrapper.element.addEventListener('keydown', () => (reachedForm = true))
    input.element.dispatchEvent(enter)
    expect(enter.defaultPrevented).toBe(true)
    expect(reachedForm).toBe(false)
    expect(commits).toEqual([ID])
    expect(value.value).toBe(ID)
    wrapper.unmount()
  })

  it('commits what a person typed, normalised', async () => {
    const { wrapper, value, commits } = mountInForm()
    const input = wrapper.find('input')
    await input.setValue('11010519491231002x')
    await input.trigger('keydown', { key: 'Enter' })
    expect(commits).toEqual([ID])
    expect(value.value).toBe(ID)
    wrapper.unmount()
  })

  it('leaves Ctrl+Enter to the form (save) and ignores Enter while composing', async () => {
    const { wrapper, commits } = mountInForm(ID)
    const input = wrapper.find('input')
    await input.trigger('keydown', { key: 'Enter', ctrlKey: true })
    await input.trigger('keydown', { key: 'Enter', isComposing: true })
    expect(commits).toEqual([])
    wrapper.unmount()
  })
})
