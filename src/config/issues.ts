// Zod issues in words a person running the daemon understands, ending with the offending
// value where that is safe to show. Values are shown short and with URL credentials removed;
// secrets never get this far (a secret-named key is rejected before validation).
import type { z } from 'zod';

const EXPECTED: Record<string, string> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
};

/** A short, safe rendering of a config value for an error message. */
export function renderValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value !== 'string') return String(value);
  const text = value.replace(/\/\/[^/@\s]*@/g, '//***@');
  return text.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(text);
}

function bound(issue: { origin: string; inclusive?: boolean }, limit: unknown, side: 'min' | 'max'): string {
  const n = Number(limit);
  if (issue.origin === 'string') return n <= 1 ? 'expected a non-empty string' : `expected at least ${n} characters`;
  if (issue.origin === 'array') return side === 'min' ? `expected at least ${n} entries` : `expected at most ${n} entries`;
  if (side === 'min' && n === 0) return issue.inclusive ? 'expected a non-negative number' : 'expected a positive number';
  const op = side === 'min' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
  return `expected a number ${op} ${String(limit)}`;
}

export interface Described {
  /** Key path relative to the issue's path (an unknown key adds its own name). */
  readonly subPath: readonly PropertyKey[];
  readonly reason: string;
  /** Whether to append ", got <value>". */
  readonly showValue: boolean;
}

/** One or more descriptions per issue (unrecognized_keys lists several keys). */
export function describeIssue(issue: z.core.$ZodIssue, value: unknown): Described[] {
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return [{ subPath: [], reason: 'required', showValue: false }];
      return [{ subPath: [], reason: `expected ${EXPECTED[issue.expected] ?? issue.expected}`, showValue: true }];
    case 'too_small':
      return [{ subPath: [], reason: bound(issue, issue.minimum, 'min'), showValue: issue.origin !== 'array' }];
    case 'too_big':
      return [{ subPath: [], reason: bound(issue, issue.maximum, 'max'), showValue: issue.origin !== 'array' }];
    case 'invalid_value':
      return [{ subPath: [], reason: `expected one of ${issue.values.map(String).join(', ')}`, showValue: true }];
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ subPath: [key], reason: 'unknown key (a typo?)', showValue: false }));
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      const reason = options ? `expected one of ${options.map(String).join(', ')}` : issue.message;
      return [{ subPath: [], reason, showValue: true }];
    }
    default:
      return [{ subPath: [], reason: issue.message, showValue: value !== undefined }];
  }
}
