import { Type, type Static, type TSchema } from 'typebox';

/** `type: [T, "null"]`: serialises faster than anyOf and reads well in OpenAPI 3.1. */
export function Nullable<T extends TSchema>(schema: T, description?: string) {
  const { type } = schema as unknown as { type: string };
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [type, 'null'], ...(description ? { description } : {}) });
}
