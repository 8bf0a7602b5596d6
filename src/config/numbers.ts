// Number parsers for CLI options and sweep grids: one home for what "a positive integer"
// means. Each throws an Error whose message says what was expected.

export type NumberParser = (text: string) => number;

export function numberParser(ok: (n: number) => boolean, what: string): NumberParser {
  return (text) => {
    const n = Number(text);
    if (text.trim() === '' || !ok(n)) throw new Error(`expected ${what}`);
    return n;
  };
}

export const positiveInt = numberParser((n) => Number.isSafeInteger(n) && n > 0, 'a positive integer');
export const nonNegativeInt = numberParser((n) => Number.isSafeInteger(n) && n >= 0, 'a non-negative integer');
export const integer = numberParser((n) => Number.isSafeInteger(n), 'an integer');
export const positiveNumber = numberParser((n) => Number.isFinite(n) && n > 0, 'a positive number');
export const nonNegativeMs = numberParser((n) => Number.isFinite(n) && n >= 0, 'a non-negative number of ms');
export const epochMs = numberParser((n) => Number.isSafeInteger(n) && n >= 0, 'exchange time in ms since the epoch');

/** `x` with `digits` decimals, or '-' when it is missing or not finite. */
export function fixed(x: number | null | undefined, digits: number): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits);
}
