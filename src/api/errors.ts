// The API's error body, `{ error: { code, message, field?, hook? } }`, and the field a zod issue names.

export type ErrorCode =
  | 'bad_request' | 'unauthorized' | 'forbidden' | 'not_found' | 'payload_too_large' | 'rate_limited'
  | 'not_implemented' | 'not_ready' | 'bad_host' | 'internal';

export function errorBody(code: ErrorCode, message: string, extra: { field?: string; hook?: string } = {}) {
  return { error: { code, message, ...extra } };
}

/** Key names as the schemas spell them; anything else a client sent is not echoed (it may be a secret). */
const SAFE_KEY = /^[A-Za-z][A-Za-z0-9]{0,39}$/;

function shown(key: PropertyKey): string {
  return typeof key === 'number' || (typeof key === 'string' && SAFE_KEY.test(key)) ? String(key) : '(unknown key)';
}

/** A field path as the error names it. */
export function fieldName(path: readonly PropertyKey[]): string {
  return path.map(shown).join('.');
}

interface IssueLike {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly code?: string;
  readonly keys?: readonly string[];
}

/** The field a zod issue is about (the first unknown key for an unknown-key issue) and its message, without echoing input. */
export function issueProblem(issue: IssueLike): { field: string; message: string } {
  if (issue.code === 'unrecognized_keys' && issue.keys?.[0] !== undefined) {
    return { field: fieldName([...issue.path, issue.keys[0]]), message: 'unknown key' };
  }
  return { field: fieldName(issue.path), message: issue.message };
}
