// Time-ordered UUIDs (version 7, RFC 9562): ids sort by creation time, which keeps indexes compact
// and makes "newest first" a cheap ORDER BY id DESC. A record's identity is the domain's to give (the
// services name a case before storing it); this draws on the CSPRNG and does no I/O.
//
// The layout and formatting are the `uuid` package's v7: 48-bit Unix milliseconds, then a 32-bit counter
// (seeded at random, top bit clear, for each new millisecond) in the rand_a and leading rand_b bits, then
// 42 random bits. What stays here is the counter: uuid keeps one only when it reads the clock itself
// (`v7()` with no options); given `msecs` — and services pass `now` from an injectable clock that tests
// hold still or move backwards — it draws a fresh random `seq` per call, so two ids in one millisecond
// could come out in either order. This thin wrapper keeps uuid's own rule across both cases: a `now` that
// is not later than the last one reuses the last millisecond with the counter plus one, and a counter
// that runs out (2^32) moves on to the next millisecond. Ids from one process therefore strictly increase.

import { randomBytes } from 'node:crypto';
import { v7 } from 'uuid';

let lastMs = 0;
let seq = 0;

// Random bytes drawn from the CSPRNG a page at a time: one call per id cost more than the rest of newId
// (uuid's own rng makes one crypto.getRandomValues call per id).
const POOL = 4096;
let pool = Buffer.alloc(0);
let used = POOL;
function random16(): Uint8Array {
  if (used + 16 > pool.length) {
    pool = randomBytes(POOL);
    used = 0;
  }
  const out = pool.subarray(used, used + 16);
  used += 16;
  return out;
}

export function newId(now: number = Date.now()): string {
  const random = random16();
  if (now > lastMs) {
    lastMs = now;
    // As uuid seeds its counter: 31 random bits, so at least 2^31 more ids fit in this millisecond.
    seq = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
  } else {
    seq = (seq + 1) >>> 0;
    if (seq === 0) lastMs += 1;
  }
  return v7({ msecs: lastMs, seq, random });
}
