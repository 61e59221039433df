// npm run bench: routing, media (photo throughput; the server's memory under 20 uploads at once), intake
// (POST /reports on the real server under autocannon, against a bare Fastify route, per dialect), notification
// delivery (outbox to a webhook receiver against a bare posting loop; commit-to-receipt lag), the rider
// app's cold start on slow 3G in Chromium (against the landing page on the same network), then for
// each dialect one synthetic 1,000,000-case city shared by the map and duplicate benchmarks; one table of
// every result at the end. Benchmarks report, they do not gate: the process exits 0 even when a target is
// missed (it exits non-zero only if a benchmark could not run).
//
// Knobs: BENCH_DIALECTS=sqlite,postgres  BENCH_CASES=1000000  BENCH_DATABASE_URL (else TEST_DATABASE_URL)

import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { onEachCity } from './city.js';
import { benchDuplicates } from './duplicates.bench.js';
import { run as runIntake } from './intake.bench.js';
import { run as runMedia } from './media.bench.js';
import { run as runNotify } from './notify.bench.js';
import { run as runRider } from './rider.bench.js';
import { benchMap } from './map.bench.js';
import { formatTable, run as runRouting, type BenchResult } from './routing.bench.js';

const log = (line: string): void => console.log(line);
const t0 = performance.now();
log(`gridline bench: node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown cpu'}), ${os.platform()} ${os.release()}`);

const results: BenchResult[] = [];
results.push(...(await runRouting(log)));
results.push(...(await runMedia(log)));
results.push(...(await runIntake(log)));
results.push(...(await runNotify(log)));
results.push(...(await runRider(log)));
results.push(...(await onEachCity(log, benchMap, benchDuplicates)));
log('');
log(formatTable(results));
const judged = results.filter((r) => r.pass !== undefined);
log('');
log(`${judged.filter((r) => r.pass).length} of ${judged.length} targets met; ${((performance.now() - t0) / 1000).toFixed(0)} s in all. Benchmarks report; they do not fail the build.`);
