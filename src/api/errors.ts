// The API's error body, `{ error: { code, message, field?, hook? } }`, and the field a zod issue names.

export type ErrorCode =
  | 'bad_request' | 'unauthorized' | 'forbidden' | 'not_found' | 'payload_too_large' | 'rate_limited'
  | 'not_implemented' | 'not_ready' | 'bad_host' | 'internal';

export function errorBody(code: ErrorCode, message: string, extra: { field?: string; hook?: string } = {}) {
  return { error: { code, message, ...extra } };
}

/** The field a zod issue is about: its path, plus the first unknown key for an unknown-key issue. */
export function issueField(issue: { readonly path: readonly PropertyKey[]; readonly code?: string; readonly keys?: readonly string[] }): string {
  const path = issue.code === 'unrecognized_keys' && issue.keys?.[0] !== undefined ? [...issue.path, issue.keys[0]] : issue.path;
  return path.map(String).join('.');
}
