// newId: RFC 9562 version 7 UUIDs that strictly increase within one process, whatever `now` the
// (injectable, test-moved) clock passes: the same millisecond many times over, or an earlier one.

import { validate, version } from 'uuid';
import { describe, expect, it } from 'vitest';
import { newId } from '../../src/domain/ids.js';

const FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const msOf = (id: string): number => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

// Ids share the module's state across tests: each test starts a day after anything used before it.
let base = Date.UTC(2031, 0, 1);
const freshMs = (): number => (base += 86_400_000);

function expectIncreasing(ids: string[]): void {
  for (let i = 1; i < ids.length; i++) {
    if (!(ids[i - 1]! < ids[i]!)) expect.fail(`id ${i} (${ids[i]}) is not after id ${i - 1} (${ids[i - 1]})`);
  }
}

describe('newId', () => {
  it('is an RFC 9562 UUID: lowercase 8-4-4-4-12, version 7, variant 10', () => {
    for (const id of [newId(), newId(freshMs()), newId(0), newId()]) {
      expect(id).toMatch(FORMAT);
      expect(validate(id)).toBe(true);
      expect(version(id)).toBe(7);
      const bytes = Buffer.from(id.replace(/-/g, ''), 'hex');
      expect(bytes[6]! >> 4).toBe(0x7);
      expect(bytes[8]! >> 6).toBe(0b10);
    }
  });

  it('puts `now` in the 48 timestamp bits', () => {
    for (const now of [freshMs(), freshMs() + 1, freshMs() + 999]) expect(msOf(newId(now))).toBe(now);
    const now = freshMs();
    const id = newId(now);
    expect(id.slice(0, 13)).toBe(`${now.toString(16).padStart(12, '0').slice(0, 8)}-${now.toString(16).padStart(12, '0').slice(8)}`);
  });

  it('strictly increases over 10,000 ids with the same `now`', () => {
    const now = freshMs();
    const ids = Array.from({ length: 10_000 }, () => newId(now));
    expectIncreasing(ids);
    expect(new Set(ids).size).toBe(10_000);
    // A 32-bit counter seeded below 2^31: 10,000 more never run out of the millisecond.
    expect(ids.every((id) => msOf(id) === now)).toBe(true);
  });

  it('strictly increases when `now` goes backwards, staying on the latest millisecond', () => {
    const latest = freshMs();
    const ids = [newId(latest)];
    for (let i = 1; i <= 10_000; i++) ids.push(newId(latest - (i % 97) * 1000));
    expectIncreasing(ids);
    expect(ids.every((id) => msOf(id) === latest)).toBe(true);
    // Time moving on again is used as given.
    const later = latest + 5;
    const next = newId(later);
    expect(next > ids.at(-1)!).toBe(true);
    expect(msOf(next)).toBe(later);
  });

  it('strictly increases with the real clock, the same clock passed explicitly and a mix of both', () => {
    const ids: string[] = [];
    for (let i = 0; i < 3_000; i++) ids.push(newId());
    for (let i = 0; i < 3_000; i++) ids.push(newId(Date.now()));
    for (let i = 0; i < 3_000; i++) ids.push(i % 2 ? newId() : newId(Date.now() - 10));
    expectIncreasing(ids);
  });

  it('keeps the random tail random: no two ids in one millisecond share their last 42 bits', () => {
    const now = freshMs();
    const tail = (id: string): bigint => BigInt(`0x${id.slice(-12)}`) & ((1n << 42n) - 1n);
    const tails = new Set(Array.from({ length: 2_000 }, () => tail(newId(now))));
    expect(tails.size).toBe(2_000);
  });
});
