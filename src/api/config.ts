// The `api` section of the config: where the control plane listens and who may use it.
// Tokens are stored as SHA-256 hashes (`flashmm token create` prints a token once and its
// hash); a token is 32 random bytes, so a fast hash is enough: nothing to brute-force.
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { positiveInt } from '../config/fields.js';

/** Ordered: each role may do what the ones before it may. */
export const API_ROLES = ['read', 'trade', 'admin'] as const;
export type ApiRole = (typeof API_ROLES)[number];

export function roleAllows(held: ApiRole, needed: ApiRole): boolean {
  return API_ROLES.indexOf(held) >= API_ROLES.indexOf(needed);
}

const tokenSchema = z.strictObject({
  /** Who holds it: the "who" of the audit log. */
  name: z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, { error: 'expected a name of 1–64 letters, digits, . _ @ -' }),
  role: z.enum(API_ROLES),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'expected the 64 hex digits `flashmm token create` printed' }),
});
export type ApiTokenConfig = z.output<typeof tokenSchema>;

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether binding `host` only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const family = isIP(host);
  return family !== 0 && LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

export const apiConfigSchema = z
  .strictObject({
    /** Loopback by default; any other address needs tokens and anonymousRead: false. */
    host: z.string().trim().min(1).default('127.0.0.1'),
    /** 0 = any free port. */
    port: z.number().int().min(0).max(65_535).default(8080),
    enabled: z.boolean().default(true),
    tokens: z.array(tokenSchema).default([]),
    /** Requests without a token get the read role (allowed on a loopback bind only). */
    anonymousRead: z.boolean().default(true),
    /** Origins allowed to call the API from a browser (the page at / needs none: same origin). */
    corsOrigins: z.array(z.url({ protocol: /^https?$/ })).default([]),
    rateLimit: z
      .strictObject({
        perIpPerMinute: positiveInt('api.rateLimit.perIpPerMinute').default(1_200),
        perTokenPerMinute: positiveInt('api.rateLimit.perTokenPerMinute').default(600),
      })
      .prefault({}),
    /** Larger request bodies get 413. */
    bodyLimitBytes: positiveInt('api.bodyLimitBytes').default(16_384),
    stream: z
      .strictObject({
        /** Frames per second per client at most (a client may ask for fewer). */
        maxHz: z.number().positive().max(50).default(5),
        /** A client whose unsent bytes exceed this is dropped (never buffered without bound). */
        maxBufferedBytes: positiveInt('api.stream.maxBufferedBytes').default(262_144),
        /** A client this many frames behind in its acknowledgements ({"ack": seq}) is dropped. */
        maxUnackedFrames: positiveInt('api.stream.maxUnackedFrames').default(10),
        maxClients: positiveInt('api.stream.maxClients').default(32),
        /** Book levels per side in each frame. */
        depth: z.number().int().min(1).max(50).default(10),
      })
      .prefault({}),
  })
  .superRefine((api, ctx) => {
    for (const problem of bindProblems(api)) ctx.addIssue({ code: 'custom', path: [problem.path], message: problem.message });
    const names = new Set<string>();
    const hashes = new Set<string>();
    api.tokens.forEach((t, i) => {
      if (names.has(t.name)) ctx.addIssue({ code: 'custom', path: ['tokens', i, 'name'], message: `duplicate token name ${t.name}` });
      if (hashes.has(t.sha256)) ctx.addIssue({ code: 'custom', path: ['tokens', i, 'sha256'], message: 'duplicate token hash' });
      names.add(t.name);
      hashes.add(t.sha256);
    });
  });

export type ApiConfig = z.output<typeof apiConfigSchema>;

/** Why binding `api.host` would expose the daemon to other machines without tokens (none = fine). */
export function bindProblems(api: Pick<ApiConfig, 'host' | 'tokens' | 'anonymousRead'>): { path: string; message: string }[] {
  if (isLoopbackHost(api.host)) return [];
  const problems: { path: string; message: string }[] = [];
  if (api.tokens.length === 0) {
    problems.push({ path: 'tokens', message: `api.host ${api.host} is not loopback: configure api.tokens (flashmm token create) or bind 127.0.0.1` });
  }
  if (api.anonymousRead) {
    problems.push({ path: 'anonymousRead', message: `api.host ${api.host} is not loopback: set api.anonymousRead: false (every client then needs a token)` });
  }
  return problems;
}
