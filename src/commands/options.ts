// Commander glue for the shared number parsers: a parse failure becomes commander's
// InvalidArgumentError, which it prints as "option '--x <n>' argument 'y' is invalid. …".
import { InvalidArgumentError } from 'commander';
import * as generated from '../backtest/generator-options.js';
import * as numbers from '../config/numbers.js';
import { errorMessage } from '../errors.js';

function forCli<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (err) {
      throw new InvalidArgumentError(errorMessage(err));
    }
  };
}

export const positiveInt = forCli(numbers.positiveInt);
export const nonNegativeInt = forCli(numbers.nonNegativeInt);
export const integer = forCli(numbers.integer);
export const positiveNumber = forCli(numbers.positiveNumber);
export const nonNegativeMs = forCli(numbers.nonNegativeMs);
export const epochMs = forCli(numbers.epochMs);
/** A replay speed (> 0) or `max`: as fast as the host can run, on a manual clock. */
export const replaySpeed = forCli((text: string): number | 'max' => (text.trim() === 'max' ? 'max' : numbers.positiveNumber(text)));

// Generated-market and feed-delay flags of `flashmm backtest` (parsers in backtest/generator-options.ts).
export const durationMs = forCli(generated.parseDurationMs);
export const feedDelay = forCli(generated.parseFeedDelay);
export const market = forCli(generated.parseMarket);
