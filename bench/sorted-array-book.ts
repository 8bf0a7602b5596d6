// The peer to beat: a plain TypeScript L2 book, as a JS market maker would write it.
// Each side keeps parallel sorted arrays with the touch at the end, binary search, splice.

class SortedSide {
  readonly prices: number[] = [];
  readonly sizes: number[] = [];
  constructor(private readonly ask: boolean) {}

  // Key grows toward the touch: bids by price, asks by negated price.
  private key(p: number): number {
    return this.ask ? -p : p;
  }

  set(price: number, size: number): void {
    const key = this.key(price);
    let lo = 0;
    let hi = this.prices.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.key(this.prices[mid]!) < key) lo = mid + 1;
      else hi = mid;
    }
    const found = lo < this.prices.length && this.prices[lo] === price;
    if (size === 0) {
      if (found) {
        this.prices.splice(lo, 1);
        this.sizes.splice(lo, 1);
      }
    } else if (found) {
      this.sizes[lo] = size;
    } else {
      this.prices.splice(lo, 0, price);
      this.sizes.splice(lo, 0, size);
    }
  }

  best(): number | undefined {
    return this.prices[this.prices.length - 1];
  }

  clear(): void {
    this.prices.length = 0;
    this.sizes.length = 0;
  }
}

export class SortedArrayBook {
  readonly bids = new SortedSide(false);
  readonly asks = new SortedSide(true);

  snapshot(bp: ArrayLike<number>, bs: ArrayLike<number>, ap: ArrayLike<number>, as: ArrayLike<number>): void {
    this.bids.clear();
    this.asks.clear();
    this.apply(bp, bs, ap, as);
  }

  apply(bp: ArrayLike<number>, bs: ArrayLike<number>, ap: ArrayLike<number>, as: ArrayLike<number>): void {
    for (let i = 0; i < bp.length; i++) this.bids.set(bp[i]!, bs[i]!);
    for (let i = 0; i < ap.length; i++) this.asks.set(ap[i]!, as[i]!);
  }
}
