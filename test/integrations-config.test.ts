// The integrations' config and secrets: off by default, strict, publishable fields only, and
// credentials from the environment only (all four X variables or none).
import { describe, expect, it } from 'vitest';
import { configSchema } from '../src/config/schema.js';
import { loadSecrets } from '../src/config/secret.js';

describe('integrations config', () => {
  it('is off by default with conservative limits', () => {
    const { integrations } = configSchema.parse({});
    expect(integrations.x).toEqual({
      enabled: false, dryRun: false, apiBaseUrl: 'https://api.x.com', schedule: { dailyAtUtc: '00:05' },
      summaryFields: ['pnl', 'fills', 'spreadImprovement', 'predictionAccuracy'], maxPostsPerDay: 4, minIntervalMinutes: 60, timeoutMs: 15_000,
    });
    expect(integrations.azureOpenai).toMatchObject({
      enabled: false, apiVersion: '2024-10-21',
      commentary: { enabled: false }, confidence: { enabled: false, maxAdjustment: 0.2, refreshSeconds: 60, maxAgeSeconds: 180 },
    });
  });

  it('refuses fields that would publish positions, unknown keys, an uncapped influence and a credential in a file', () => {
    const issues = (input: unknown) => configSchema.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues({ integrations: { x: { summaryFields: ['pnl', 'inventory'] } } })[0]).toMatch(/^integrations\.x\.summaryFields\.1: Invalid option/);
    expect(issues({ integrations: { x: { summaryFields: ['pnl', 'pnl'] } } })).toEqual(['integrations.x.summaryFields: each field once']);
    expect(issues({ integrations: { x: { apiBaseUrl: 'http://api.x.com' } } })).toEqual(['integrations.x.apiBaseUrl: expected an https URL']);
    expect(issues({ integrations: { x: { schedule: { dailyAtUtc: '24:00' } } } })).toEqual(['integrations.x.schedule.dailyAtUtc: expected HH:MM (UTC, 24 h)']);
    expect(issues({ integrations: { azureOpenai: { confidence: { maxAdjustment: 0.9 } } } })[0]).toMatch(/^integrations\.azureOpenai\.confidence\.maxAdjustment: Too big/);
    expect(issues({ integrations: { azureOpenai: { enabled: true, endpoint: 'https://r.openai.azure.com' } } })).toEqual(['integrations.azureOpenai.deployment: required when enabled']);
    expect(issues({ integrations: { x: { apiKey: 'k' } } })[0]).toMatch(/^integrations\.x: Unrecognized key: "apiKey"/);
  });
});

describe('integration secrets', () => {
  const X = { FLASHMM_X_API_KEY: 'k', FLASHMM_X_API_SECRET: 's', FLASHMM_X_ACCESS_TOKEN: 't', FLASHMM_X_ACCESS_SECRET: 'a' };

  it('reads the four X credentials and the Azure key from the environment, redacted when printed', () => {
    const s = loadSecrets({ ...X, FLASHMM_AZURE_OPENAI_API_KEY: 'azk' });
    expect([s.x?.apiKey.reveal(), s.x?.apiSecret.reveal(), s.x?.accessToken.reveal(), s.x?.accessSecret.reveal(), s.azureOpenAiApiKey?.reveal()]).toEqual(['k', 's', 't', 'a', 'azk']);
    expect(JSON.stringify(s)).not.toMatch(/"(k|s|t|a|azk)"/);
    expect(loadSecrets({})).toEqual({});
  });

  it('names the missing X variables when only some are set, never a value', () => {
    expect(() => loadSecrets({ FLASHMM_X_API_KEY: 'k-value', FLASHMM_X_ACCESS_TOKEN: 't-value' })).toThrow(
      'X credentials need all four variables: FLASHMM_X_API_SECRET, FLASHMM_X_ACCESS_SECRET not set',
    );
  });
});
