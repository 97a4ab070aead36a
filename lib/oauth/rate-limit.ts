// A token bucket per key, in memory: each bucket holds up to `burst` tokens and gains one every
// `refillMs`; a request takes one token or is told how long to wait. In-process, so each portal
// process keeps its own buckets (N processes allow N times the rate) and a restart refills them.

export interface RateLimitOptions {
  /** Tokens a full bucket holds: how many requests may come at once. */
  burst: number;
  /** Milliseconds to earn one token back. */
  refillMs: number;
  /** Most keys remembered; past it the least recently used bucket is forgotten (it was the least busy). */
  maxKeys?: number;
}

export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly options: RateLimitOptions) {}

  /** Takes a token from `key`'s bucket, or says in whole seconds when the next one is earned. */
  take(key: string, now = Date.now()): RateLimitDecision {
    const { burst, refillMs, maxKeys = 10_000 } = this.options;
    const bucket = this.buckets.get(key) ?? { tokens: burst, at: now };
    this.buckets.delete(key);
    const tokens = Math.min(burst, bucket.tokens + Math.max(0, now - bucket.at) / refillMs);
    if (tokens >= 1) {
      this.remember(key, { tokens: tokens - 1, at: now }, maxKeys);
      return { allowed: true };
    }
    this.remember(key, { tokens, at: now }, maxKeys);
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(((1 - tokens) * refillMs) / 1000)) };
  }

  /** Gives back a token taken by `take` (when a later check refused the request). */
  giveBack(key: string): void {
    const bucket = this.buckets.get(key);
    if (bucket) bucket.tokens = Math.min(this.options.burst, bucket.tokens + 1);
  }

  private remember(key: string, bucket: { tokens: number; at: number }, maxKeys: number): void {
    this.buckets.set(key, bucket);
    while (this.buckets.size > maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest === undefined) break;
      this.buckets.delete(oldest);
    }
  }
}

/**
 * Dynamic client registration needs no sign-in, so it is rate limited per portal process: per
 * client address (20 at once, then one every 6 s: 10 a minute) and in total (100 at once, then one a
 * second), whichever runs out first; the total bounds what spoofed or many addresses can do.
 */
export const REGISTRATION_LIMITS = {
  perAddress: { burst: 20, refillMs: 6_000 },
  total: { burst: 100, refillMs: 1_000 },
} as const;

export class RegistrationLimiter {
  private readonly perAddress: TokenBuckets;
  private readonly total: TokenBuckets;

  constructor(limits: { perAddress: RateLimitOptions; total: RateLimitOptions } = REGISTRATION_LIMITS) {
    this.perAddress = new TokenBuckets(limits.perAddress);
    this.total = new TokenBuckets({ ...limits.total, maxKeys: 1 });
  }

  take(address: string, now = Date.now()): RateLimitDecision {
    const mine = this.perAddress.take(address, now);
    if (!mine.allowed) return mine;
    const all = this.total.take("*", now);
    if (!all.allowed) this.perAddress.giveBack(address);
    return all;
  }
}

/**
 * The caller's address as the portal sees it: the last X-Forwarded-For entry (the one the nearest
 * proxy, or Next.js itself, added), else X-Real-IP, else "unknown" (then only the total applies in effect).
 */
export function clientAddress(headers: Headers): string {
  const forwarded = headers.get("x-forwarded-for");
  const last = forwarded?.split(",").at(-1)?.trim();
  return (last || headers.get("x-real-ip")?.trim() || "unknown").slice(0, 100);
}
