// API tokens: 32 random bytes shown once, stored as their SHA-256. A request's bearer token is
// hashed and compared with every stored hash in constant time (no early exit, no length leak),
// so timing says nothing about which bytes matched.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiRole, ApiTokenConfig } from './config.js';

/** Tokens look like `fmm_<43 base64url chars>`: easy to spot in a leak scan, valid in a WebSocket subprotocol. */
export const TOKEN_PREFIX = 'fmm_';

export interface CreatedToken {
  readonly token: string;
  readonly sha256: string;
}

export function createToken(): CreatedToken {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  return { token, sha256: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface Principal {
  readonly name: string;
  readonly role: ApiRole;
}

export class TokenVerifier {
  private readonly entries: readonly { readonly digest: Buffer; readonly principal: Principal }[];

  constructor(tokens: readonly ApiTokenConfig[]) {
    this.entries = tokens.map((t) => ({ digest: Buffer.from(t.sha256, 'hex'), principal: { name: t.name, role: t.role } }));
  }

  get size(): number {
    return this.entries.length;
  }

  /** The token's holder, or null. Every stored hash is compared, whatever matches. */
  verify(token: string): Principal | null {
    const digest = createHash('sha256').update(token, 'utf8').digest();
    let found: Principal | null = null;
    for (const entry of this.entries) {
      if (timingSafeEqual(digest, entry.digest) && found === null) found = entry.principal;
    }
    return found;
  }
}

/** The bearer token of an `Authorization` header, or null (absent or another scheme). */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/**
 * Browsers cannot set headers on a WebSocket: the page offers its token as the subprotocol
 * `bearer.<token>` beside `flashmm.v1` (the server selects `flashmm.v1`; Kubernetes does the same).
 */
export const STREAM_PROTOCOL = 'flashmm.v1';

export function subprotocolToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  for (const part of header.split(',')) {
    const p = part.trim();
    if (p.startsWith('bearer.')) return p.slice('bearer.'.length);
  }
  return null;
}
