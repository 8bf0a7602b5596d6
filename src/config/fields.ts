// Zod field helpers shared by the config schema and the sections other modules own (risk,
// strategy): one definition of each kind of value, so a field is validated the same wherever
// its section is parsed.
import { z } from 'zod';

/** A plain non-negative decimal: digits, optionally a point and more digits. */
export const DECIMAL = /^\d+(\.\d+)?$/;

/**
 * An exact non-negative decimal (prices, sizes, money), as a string. An unquoted YAML number is
 * accepted when it has at most 15 significant digits, because such a number converts back to
 * exactly the digits that were written; longer ones must be quoted.
 */
export function decimal({ positive }: { positive: boolean }) {
  return z.unknown().transform((input, ctx): string => {
    let text: string | undefined;
    if (typeof input === 'string' && DECIMAL.test(input.trim())) text = input.trim();
    if (typeof input === 'number' && Number.isFinite(input) && input >= 0) {
      // String() is the shortest text that converts back to the same double.
      const shortest = String(input);
      const digits = shortest.replace('.', '').replace(/^0+/, '').length;
      if (DECIMAL.test(shortest) && digits <= 15) text = shortest;
    }
    if (text === undefined) {
      ctx.issues.push({ code: 'custom', input, message: 'expected a decimal string such as "0.0001" (quote long numbers)' });
      return '';
    }
    if (positive && !/[1-9]/.test(text)) {
      ctx.issues.push({ code: 'custom', input, message: 'expected a positive decimal' });
    }
    return text;
  });
}

/** A whole number > 0 whose messages name the field (`what`). */
export const positiveInt = (what: string) => z.number().int(`${what} must be a whole number`).positive(`${what} must be > 0`);
