// Spooling uploads to temporary files (defect 3): bytes hashed and counted as they arrive, the limit
// lowered (or the upload refused) as soon as the first bytes are judged, a cut-off or broken source
// refused, and never a temporary file left behind, whatever happens; leftovers of a killed process go
// a day later.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HEAD_BYTES, WORK_PREFIX, removeStale, spool } from '../../src/media/spool.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gridline-spool-unit-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const tooLarge = (limit: number) => new Error(`over ${limit}`);
const chunks = (n: number, size: number) => Array.from({ length: n }, (_, i) => Buffer.alloc(size, i));

describe('spool', () => {
  it('writes the bytes to a private file with their SHA-256, length and first HEAD_BYTES', async () => {
    const parts = chunks(5, 40_000);
    const whole = Buffer.concat(parts);
    const file = await spool(parts, { dir, limit: 1e9, tooLarge });
    expect(file.bytes).toBe(whole.length);
    expect(file.sha256).toBe(createHash('sha256').update(whole).digest('hex'));
    expect(file.head.equals(whole.subarray(0, HEAD_BYTES))).toBe(true);
    expect(fs.readFileSync(file.path).equals(whole)).toBe(true);
    expect(fs.statSync(file.path).mode & 0o777).toBe(0o600);
    await file.discard();
    await file.discard();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('judges the first bytes once: the limit it returns holds from then on, and a refusal stops the upload there', async () => {
    const seen: number[] = [];
    const judge = (head: Buffer) => {
      seen.push(head.length);
      return 100_000;
    };
    await expect(spool(chunks(10, 30_000), { dir, limit: 1e9, tooLarge, judge })).rejects.toThrow('over 100000');
    expect(seen).toEqual([HEAD_BYTES]);
    // A small upload is judged whole, at its end.
    const small = await spool([Buffer.from('tiny')], { dir, limit: 1e9, tooLarge, judge: (head) => (seen.push(head.length), 10) });
    expect(seen.at(-1)).toBe(4);
    await small.discard();
    let pulled = 0;
    const source = (async function* () {
      for (const c of chunks(100, 16_384)) {
        pulled++;
        yield c;
      }
    })();
    await expect(spool(source, { dir, limit: 1e9, tooLarge, judge: () => { throw new Error('not media'); } })).rejects.toThrow('not media');
    expect(pulled).toBe(4); // 64 kB, not the 1.6 MB on offer
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses a body that ends short of its announced length, and a source that breaks, removing the file', async () => {
    await expect(spool([Buffer.alloc(10)], { dir, limit: 100, tooLarge, expected: 20, cutOff: (got, wanted) => new Error(`cut at ${got}/${wanted}`) })).rejects.toThrow('cut at 10/20');
    const stream = new PassThrough();
    const spooling = spool(stream, { dir, limit: 1e9, tooLarge, broken: (got) => new Error(`broke after ${got}`) });
    stream.write(Buffer.alloc(50_000));
    await new Promise((r) => setTimeout(r, 20));
    expect(fs.readdirSync(dir)).toHaveLength(1);
    stream.destroy(new Error('aborted'));
    await expect(spooling).rejects.toThrow('broke after 50000');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('leaves a request body it stops reading to its owner (iterator with destroyOnReturn: false)', async () => {
    const stream = new PassThrough();
    const spooling = spool(stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>, { dir, limit: 1000, tooLarge });
    stream.write(Buffer.alloc(2000));
    await expect(spooling).rejects.toThrow('over 1000');
    expect(stream.destroyed).toBe(false);
    stream.destroy();
  });
});

describe('removeStale', () => {
  it('removes spooled files and work directories older than the cut-off, and nothing else', async () => {
    const old = Date.now() / 1000 - 2 * 86_400;
    const make = (name: string, isDir = false) => {
      const p = path.join(dir, name);
      if (isDir) fs.mkdirSync(p);
      else fs.writeFileSync(p, 'x');
      return p;
    };
    const stale = [make('gridline-upload-11111111-1111-1111-1111-111111111111'), make(`${WORK_PREFIX}abc`, true)];
    for (const p of stale) fs.utimesSync(p, old, old);
    const kept = [make('gridline-upload-22222222-2222-2222-2222-222222222222'), make('someone-elses-file')];
    fs.utimesSync(kept[1]!, old, old);
    expect(await removeStale(dir, 86_400_000)).toBe(2);
    expect(fs.readdirSync(dir).sort()).toEqual(kept.map((p) => path.basename(p)).sort());
    expect(await removeStale(path.join(dir, 'missing'), 1)).toBe(0);
  });
});
