// Client order ids: unique within a process (a counter) and across restarts (a boot id made of
// the start time and random bits), in venue-safe characters [a-z0-9-], at most 36 long.
import { randomBytes } from 'node:crypto';

export const MAX_CLIENT_ID_LENGTH = 36;
const SAFE = /^[a-z0-9-]+$/;

/** A boot id: start time in base36 (8 chars until 2059) + 6 random base36 chars. */
export function newBootId(nowMs: number, random: () => Uint8Array = () => randomBytes(4)): string {
  const bits = random().reduce((acc, byte) => acc * 256 + byte, 0);
  const noise = bits.toString(36).padStart(6, '0').slice(-6);
  return `${Math.floor(nowMs).toString(36)}${noise}`;
}

export class ClientIdGenerator {
  private counter = 0;

  /** `prefix` marks our orders on a shared account; both parts must be [a-z0-9]. */
  constructor(
    readonly bootId: string,
    readonly prefix: string = 'fm',
  ) {
    if (!SAFE.test(bootId) || !SAFE.test(prefix) || bootId.includes('-') || prefix.includes('-')) {
      throw new Error(`client id parts must be [a-z0-9]: ${prefix} ${bootId}`);
    }
    // Room for the largest counter (2^53 in base36 is 11 chars) and two separators.
    if (prefix.length + bootId.length + 13 > MAX_CLIENT_ID_LENGTH) {
      throw new Error(`client id prefix and boot id too long: ${prefix}-${bootId}`);
    }
  }

  next(): string {
    this.counter += 1;
    return `${this.prefix}-${this.bootId}-${this.counter.toString(36)}`;
  }

  /** True for ids minted by this generator (this boot), false for earlier sessions or others. */
  isFromThisBoot(clientId: string): boolean {
    return clientId.startsWith(`${this.prefix}-${this.bootId}-`);
  }
}
