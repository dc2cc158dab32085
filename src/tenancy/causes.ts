// Field errors worded as k8s.io/apimachinery's field.Error prints them, so a refusal from Berth
// reads like one from kube-apiserver (`Invalid value: "x": …`, `Required value: …`).
import type { Cause } from '../platform/errors.ts';

/** A value that is present but wrong. */
export function invalidValue(field: string, value: string, detail: string): Cause {
  return { field, reason: 'FieldValueInvalid', message: `Invalid value: "${value}": ${detail}` };
}

/** A value that must be given. */
export function requiredValue(field: string, detail: string): Cause {
  return { field, reason: 'FieldValueRequired', message: `Required value: ${detail}` };
}

/** A value outside a closed set. */
export function unsupportedValue(field: string, value: string, supported: readonly string[]): Cause {
  return {
    field, reason: 'FieldValueNotSupported',
    message: `Unsupported value: "${value}": supported values: ${supported.map((s) => `"${s}"`).join(', ')}`,
  };
}

/** A value given twice where it must be unique. */
export function duplicateValue(field: string, value: string): Cause {
  return { field, reason: 'FieldValueDuplicate', message: `Duplicate value: "${value}"` };
}

/** A reference to something that does not exist. */
export function notFoundValue(field: string, value: string): Cause {
  return { field, reason: 'FieldValueNotFound', message: `Not found: "${value}"` };
}

/** A well-formed value that a policy (quota, allowed clusters, bounds) does not allow. */
export function forbiddenValue(field: string, detail: string): Cause {
  return { field, reason: 'FieldValueForbidden', message: `Forbidden: ${detail}` };
}

/** A string longer than its bound. */
export function tooLongValue(field: string, max: number): Cause {
  return { field, reason: 'FieldValueTooLong', message: `Too long: may not be more than ${max} bytes` };
}
