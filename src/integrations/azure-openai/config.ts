// The `integrations.azureOpenai` config section: an optional market commentary for the
// performance report and an optional, bounded adjustment of the forecast confidence. Off by
// default; the API key is a secret (FLASHMM_AZURE_OPENAI_API_KEY, environment only).
import { z } from 'zod';

export const azureOpenAiConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** The resource endpoint, e.g. https://my-resource.openai.azure.com. */
    endpoint: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
    /** The model deployment name. */
    deployment: z.string().trim().min(1).optional(),
    apiVersion: z.string().trim().min(1).default('2024-10-21'),
    commentary: z
      .strictObject({
        enabled: z.boolean().default(false),
        timeoutMs: z.number().int().positive().default(20_000),
        maxTokens: z.number().int().min(16).max(2_000).default(300),
      })
      .prefault({}),
    confidence: z
      .strictObject({
        enabled: z.boolean().default(false),
        /** The most the advice may move the confidence, as a fraction of it (0.2 = ±20 %). */
        maxAdjustment: z.number().min(0).max(0.5).default(0.2),
        /** How often a market's advice is asked for. */
        refreshSeconds: z.number().positive().default(60),
        /** Older advice is ignored (no adjustment). */
        maxAgeSeconds: z.number().positive().default(180),
        timeoutMs: z.number().int().positive().default(3_000),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    if (!c.enabled) return;
    for (const key of ['endpoint', 'deployment'] as const) {
      if (c[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'required when enabled' });
    }
  });

export type AzureOpenAiConfig = z.output<typeof azureOpenAiConfigSchema>;
