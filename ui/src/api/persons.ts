// Typed wrappers for checking ID numbers and phones and for finding petitioners (repeat check).
import { call } from './transport'
import type { IdNumberInfo, PersonLookupInput, PersonWithMatters, PhoneInfo } from './types'

export function checkIdNumber(idNumber: string): Promise<IdNumberInfo> {
  return call('id_number_check', { id_number: idNumber })
}

export function checkPhone(phone: string): Promise<PhoneInfo> {
  return call('phone_check', { phone })
}

export function lookupPersons(query: PersonLookupInput): Promise<PersonWithMatters[]> {
  return call('person_lookup', query)
}
