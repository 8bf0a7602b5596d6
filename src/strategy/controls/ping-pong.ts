// Ping-pong (Hummingbot's ping_pong_enabled): after a buy fill, quote only the sell side until a
// sell fills, and the reverse. With several levels, as in Hummingbot, each unanswered fill takes
// one level off its side, closest to the touch first; FlashMM counts the net balance of filled
// orders (buys − sells), so one sell answers one buy.
import type { DesiredQuote, Side } from '../../market/types.js';
import type { QuotingConfig } from '../config.js';

export class PingPong {
  /** Filled buy orders minus filled sell orders since the sides were last even. */
  balance = 0;

  onFill(config: QuotingConfig, side: Side): void {
    if (config.pingPong.enabled) this.balance += side === 'buy' ? 1 : -1;
  }

  apply(config: QuotingConfig, quotes: readonly DesiredQuote[]): DesiredQuote[] {
    if (!config.pingPong.enabled) {
      this.balance = 0;
      return [...quotes];
    }
    const blocked: Side = this.balance > 0 ? 'buy' : 'sell';
    const levels = Math.abs(this.balance);
    return quotes.filter((q) => q.side !== blocked || q.level >= levels);
  }
}
