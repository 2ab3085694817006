// Tests for the registration form model: conversion to the API input and draft storage.
import { beforeEach, describe, expect, it } from 'vitest'
import {
  anonymousAllowed,
  draftKey,
  emptyMatterDraft,
  emptyPetitioner,
  isDraftDirty,
  loadDraft,
  saveDraft,
  toMatterInput,
  type MatterDraft,
} from './matterForm'

const TODAY = '2026-11-28'

function filled(): MatterDraft {
  const draft = emptyMatterDraft(TODAY)
  Object.assign(draft, {
    purpose: 'demand',
    matter_class: 'appeal_demand',
    route: 'petition_procedure',
    summary: '  反映泵站停运问题 ',
    request: '修复泵站',
    facts_reasons: '七月以来停运',
    region_code: '110105',
  })
  Object.assign(draft.petitioners[0], {
    name: ' 邝琦 ',
    id_number: '11010519491231002X',
    sex: 'female',
    birth_date: '1949-12-31',
    phone: '13912345678',
    current_address: '青石桥社区8号',
  })
  return draft
}

describe('toMatterInput', () => {
  it('trims text, marks the first petitioner primary and leaves derived fields out', () => {
    const input = toMatterInput(filled(), TODAY)
    expect(input.summary).toBe('反映泵站停运问题')
    expect(input.petitioners).toEqual([
      {
        is_primary: true,
        person: {
          name: '邝琦',
          id_type: 'resident_id',
          id_number: '11010519491231002X',
          phone: '13912345678',
          ethnicity: null,
          household_address: null,
          current_address: '青石桥社区8号',
          workplace: null,
        },
      },
    ])
    expect(input.involved_units).toBeNull()
    expect(input.content_category).toBeNull()
    expect(input.region_code).toBe('110105')
  })

  it('lets the host stamp a matter received today, and sends the day start for earlier dates', () => {
    expect(toMatterInput(filled(), TODAY).received_at).toBeNull()
    const draft = filled()
    draft.received_date = '2026-11-20'
    expect(toMatterInput(draft, TODAY).received_at).toBe('2026-11-20T00:00:00+08:00')
  })

  it('sends the Art. 31 route only for 申诉求决', () => {
    expect(toMatterInput(filled(), TODAY).route).toBe('petition_procedure')
    const draft = filled()
    draft.matter_class = 'suggestion'
    expect(toMatterInput(draft, TODAY).route).toBeNull()
  })

  it('drops extra petitioner rows left blank but keeps the first one', () => {
    const draft = filled()
    draft.petitioners.push(emptyPetitioner())
    expect(toMatterInput(draft, TODAY).petitioners).toHaveLength(1)
    const empty = emptyMatterDraft(TODAY)
    expect(toMatterInput(empty, TODAY).petitioners).toHaveLength(1)
  })

  it('sends no petitioners for an anonymous accusation letter, and no anonymity where it is not allowed', () => {
    const draft = filled()
    draft.matter_class = 'accusation'
    draft.anonymous = true
    const input = toMatterInput(draft, TODAY)
    expect(input.anonymous).toBe(true)
    expect(input.petitioners).toEqual([])

    draft.channel = 'visit'
    expect(anonymousAllowed(draft)).toBe(false)
    const visit = toMatterInput(draft, TODAY)
    expect(visit.anonymous).toBe(false)
    expect(visit.petitioners).toHaveLength(1)
  })

  it('sends the linked earlier matter', () => {
    const draft = filled()
    draft.repeat_of = '01920aed-c6b8-7579-944a-38a53ac1a894'
    expect(toMatterInput(draft, TODAY).repeat_of).toBe('01920aed-c6b8-7579-944a-38a53ac1a894')
    expect(toMatterInput(filled(), TODAY).repeat_of).toBeNull()
  })
})

describe('drafts', () => {
  beforeEach(() => sessionStorage.clear())

  it('round-trips through storage per user', () => {
    const draft = filled()
    saveDraft(sessionStorage, 'wangfang', draft)
    expect(loadDraft(sessionStorage, 'wangfang', TODAY)).toEqual(draft)
    expect(loadDraft(sessionStorage, 'lijun', TODAY)).toBeNull()
  })

  it('ignores corrupt or foreign-version drafts', () => {
    sessionStorage.setItem(draftKey('wangfang'), '{not json')
    expect(loadDraft(sessionStorage, 'wangfang', TODAY)).toBeNull()
    sessionStorage.setItem(draftKey('wangfang'), JSON.stringify({ v: 99, draft: {} }))
    expect(loadDraft(sessionStorage, 'wangfang', TODAY)).toBeNull()
  })

  it('fills fields a stored draft lacks from an empty draft', () => {
    sessionStorage.setItem(draftKey('wangfang'), JSON.stringify({ v: 1, draft: { summary: '旧草稿', petitioners: [{ name: '王伟' }] } }))
    const draft = loadDraft(sessionStorage, 'wangfang', TODAY)!
    expect(draft.summary).toBe('旧草稿')
    expect(draft.channel).toBe('letter')
    expect(draft.petitioners[0].name).toBe('王伟')
    expect(draft.petitioners[0].id_type).toBe('resident_id')
  })

  it('counts as dirty only when something was typed', () => {
    expect(isDraftDirty(emptyMatterDraft(TODAY), TODAY)).toBe(false)
    expect(isDraftDirty(emptyMatterDraft(TODAY, 'phone'), TODAY)).toBe(false)
    const draft = emptyMatterDraft(TODAY)
    draft.petitioners[0].name = '王'
    expect(isDraftDirty(draft, TODAY)).toBe(true)
  })
})
