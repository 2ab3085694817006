// Which 信访人查询 to run: by the field Enter was pressed in, or else by the first one filled (ID, phone, name).
import type { PersonLookupInput } from '../api/types'
import { normaliseIdNumber } from './idReader'

export interface LookupFields {
  id_number: string
  phone: string
  name: string
  address: string
}

export type LookupKind = 'id_number' | 'phone' | 'name'

function byKind(fields: LookupFields, kind: LookupKind): PersonLookupInput | null {
  switch (kind) {
    case 'id_number': {
      const idNumber = normaliseIdNumber(fields.id_number)
      return idNumber ? { id_number: idNumber } : null
    }
    case 'phone': {
      const phone = fields.phone.trim()
      return phone ? { phone } : null
    }
    case 'name': {
      const name = fields.name.trim()
      if (!name) return null
      const address = fields.address.trim()
      return address ? { name, address } : { name }
    }
  }
}

/**
 * The lookup to send. With `kind`, only that field counts (Enter in the phone box searches by
 * phone even if an old ID number is still in its box); without, the most exact filled field wins.
 */
export function chooseLookup(fields: LookupFields, kind?: LookupKind): PersonLookupInput | null {
  if (kind) return byKind(fields, kind)
  for (const k of ['id_number', 'phone', 'name'] as const) {
    const query = byKind(fields, k)
    if (query) return query
  }
  return null
}
