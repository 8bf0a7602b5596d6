// Secrets (mnemonics, keystore passwords, API tokens) come only from the environment, never
// from config files, and are wrapped so that no accidental path — a log line, an error
// message, JSON, util.inspect, a template string — can print them. Only `reveal()` can.
import { inspect } from 'node:util';

const REDACTED = '[redacted]';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The value itself: call it only where it is used (signing, an auth header). */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

// Key names that hold secrets, compared lower-cased without '_' and '-'. `token` only as a
// suffix, so that names such as `tokenBucket` stay allowed; `seed` is not here because the
// generator's RNG seed is configuration, and a seed phrase is a mnemonic.
const SECRET_KEY_PARTS = ['mnemonic', 'privatekey', 'password', 'passphrase', 'apikey', 'secret', 'authorization'];

/** Whether a config or log key names a secret (`mnemonic`, `privateKey`, `apiToken`, …). */
export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_]/g, '');
  return k.endsWith('token') || SECRET_KEY_PARTS.some((part) => k.includes(part));
}

/** The environment variable each secret is read from: the error for a secret in a file names it. */
export const SECRET_ENV = {
  mnemonic: 'FLASHMM_MNEMONIC',
  keystorePath: 'FLASHMM_KEYSTORE_PATH',
  keystorePassword: 'FLASHMM_KEYSTORE_PASSWORD',
  influxToken: 'FLASHMM_INFLUX_TOKEN',
  redisPassword: 'FLASHMM_REDIS_PASSWORD',
  apiToken: 'FLASHMM_API_TOKEN',
  // X (OAuth 1.0a user context: the app's key and secret, the posting account's token and secret).
  xApiKey: 'FLASHMM_X_API_KEY',
  xApiSecret: 'FLASHMM_X_API_SECRET',
  xAccessToken: 'FLASHMM_X_ACCESS_TOKEN',
  xAccessSecret: 'FLASHMM_X_ACCESS_SECRET',
  azureOpenAiApiKey: 'FLASHMM_AZURE_OPENAI_API_KEY',
} as const;

/** The four OAuth 1.0a credentials of the X account that posts the reports. */
export interface XCredentials {
  readonly apiKey: Secret;
  readonly apiSecret: Secret;
  readonly accessToken: Secret;
  readonly accessSecret: Secret;
}

/** Where the signing key comes from: a mnemonic, or an encrypted keystore file and its password. */
export type SigningKeySource =
  | { readonly kind: 'mnemonic'; readonly mnemonic: Secret }
  | { readonly kind: 'keystore'; readonly path: string; readonly password: Secret };

export interface Secrets {
  readonly signingKey?: SigningKeySource;
  readonly influxToken?: Secret;
  readonly redisPassword?: Secret;
  readonly apiToken?: Secret;
  readonly x?: XCredentials;
  readonly azureOpenAiApiKey?: Secret;
}

export class SecretsError extends Error {
  override readonly name = 'SecretsError';
}

function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * Reads the secrets from the environment. Errors name variables, never values. Having no
 * secrets is valid (the simulated venue needs none); the component that needs one says so.
 */
export function loadSecrets(env: NodeJS.ProcessEnv = process.env): Secrets {
  const mnemonic = read(env, SECRET_ENV.mnemonic);
  const keystorePath = read(env, SECRET_ENV.keystorePath);
  const keystorePassword = read(env, SECRET_ENV.keystorePassword);
  if (mnemonic !== undefined && keystorePath !== undefined) {
    throw new SecretsError(`set either ${SECRET_ENV.mnemonic} or ${SECRET_ENV.keystorePath}, not both`);
  }
  if ((keystorePath === undefined) !== (keystorePassword === undefined)) {
    throw new SecretsError(`${SECRET_ENV.keystorePath} and ${SECRET_ENV.keystorePassword} must be set together`);
  }
  let signingKey: SigningKeySource | undefined;
  if (mnemonic !== undefined) {
    const words = mnemonic.trim().split(/\s+/).length;
    if (![12, 15, 18, 21, 24].includes(words)) {
      throw new SecretsError(`${SECRET_ENV.mnemonic}: expected 12, 15, 18, 21 or 24 words, got ${words}`);
    }
    signingKey = { kind: 'mnemonic', mnemonic: new Secret(mnemonic.trim()) };
  } else if (keystorePath !== undefined && keystorePassword !== undefined) {
    signingKey = { kind: 'keystore', path: keystorePath, password: new Secret(keystorePassword) };
  }
  const influxToken = read(env, SECRET_ENV.influxToken);
  const apiToken = read(env, SECRET_ENV.apiToken);
  const x = xCredentials(env);
  const azureOpenAiApiKey = read(env, SECRET_ENV.azureOpenAiApiKey);
  const redisPassword = read(env, SECRET_ENV.redisPassword);
  return {
    ...(signingKey && { signingKey }),
    ...(influxToken !== undefined && { influxToken: new Secret(influxToken) }),
    ...(apiToken !== undefined && { apiToken: new Secret(apiToken) }),
    ...(x !== undefined && { x }),
    ...(azureOpenAiApiKey !== undefined && { azureOpenAiApiKey: new Secret(azureOpenAiApiKey) }),
    ...(redisPassword !== undefined && { redisPassword: new Secret(redisPassword) }),
  };
}

/** All four X credentials, or none; some but not all is an error naming the missing ones. */
function xCredentials(env: NodeJS.ProcessEnv): XCredentials | undefined {
  const names = [SECRET_ENV.xApiKey, SECRET_ENV.xApiSecret, SECRET_ENV.xAccessToken, SECRET_ENV.xAccessSecret] as const;
  const values = names.map((n) => read(env, n));
  if (values.every((v) => v === undefined)) return undefined;
  const missing = names.filter((_, i) => values[i] === undefined);
  if (missing.length > 0) throw new SecretsError(`X credentials need all four variables: ${missing.join(', ')} not set`);
  const [apiKey, apiSecret, accessToken, accessSecret] = values.map((v) => new Secret(v ?? '')) as [Secret, Secret, Secret, Secret];
  return { apiKey, apiSecret, accessToken, accessSecret };
}
