// The `integrations.x` config section: posting the performance report's card and a one-line
// summary to X. Off by default. Credentials are secrets and come from the environment only
// (FLASHMM_X_API_KEY, FLASHMM_X_API_SECRET, FLASHMM_X_ACCESS_TOKEN, FLASHMM_X_ACCESS_SECRET).
import { z } from 'zod';
import { SUMMARY_FIELDS } from '../../report/figures.js';

const DEFAULT_FIELDS = ['pnl', 'fills', 'spreadImprovement', 'predictionAccuracy'] as const;

export const xConfigSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** Log what would be posted (text, card size and digest) instead of posting. */
  dryRun: z.boolean().default(false),
  /** The X API's origin; another one only for a proxy or a test server. */
  apiBaseUrl: z.url({ protocol: /^https$/, error: 'expected an https URL' }).default('https://api.x.com'),
  /** When the scheduled post goes out each day (UTC), covering the 24 hours before it. */
  schedule: z
    .strictObject({ dailyAtUtc: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'expected HH:MM (UTC, 24 h)' }).default('00:05') })
    .prefault({}),
  /**
   * What the post and its card may show, in this order. Positions, inventory, orders and
   * secrets are not in the vocabulary, so no configuration can publish them.
   */
  summaryFields: z
    .array(z.enum(SUMMARY_FIELDS))
    .min(1)
    .refine((f) => new Set(f).size === f.length, { message: 'each field once' })
    .default([...DEFAULT_FIELDS]),
  /** Posts in any 24 hours (X's free tier allows 17 posts a day per user). */
  maxPostsPerDay: z.number().int().min(1).max(17).default(4),
  minIntervalMinutes: z.number().int().nonnegative().default(60),
  /** Socket idle timeout of each request to X. */
  timeoutMs: z.number().int().positive().default(15_000),
});

export type XConfig = z.output<typeof xConfigSchema>;
