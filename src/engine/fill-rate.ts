// Fill rate per market: of the last `window` orders placed, the fraction that filled (fully or
// in part). Each order is counted once, however many fills it gets.
export class FillRate {
  /** Client ids of the orders in the window, oldest first, and whether each has filled. */
  private readonly orders = new Map<string, boolean>();
  private filled = 0;

  constructor(readonly window = 200) {}

  placed(clientId: string): void {
    if (this.orders.has(clientId)) return;
    if (this.orders.size === this.window) {
      const [oldest, wasFilled] = this.orders.entries().next().value as [string, boolean];
      this.orders.delete(oldest);
      if (wasFilled) this.filled -= 1;
    }
    this.orders.set(clientId, false);
  }

  /** A fill of `clientId`; orders outside the window (or adopted from the venue) are not counted. */
  fill(clientId: string): void {
    if (this.orders.get(clientId) !== false) return;
    this.orders.set(clientId, true);
    this.filled += 1;
  }

  /** Null before any order. */
  ratio(): number | null {
    return this.orders.size === 0 ? null : this.filled / this.orders.size;
  }
}
