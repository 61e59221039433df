// A worker thread with a SQLite connection of its own (test/db/redemption-race.test.ts): SQLite's
// connections in one thread would block each other (better-sqlite3 waits synchronously), so each
// connection of the race runs in a thread, as it would in a process of its own. It sets up, says `ready`,
// and on `go` fires its operations at once; it answers each one's outcome: `ok` or the error's code.

import { parentPort, workerData } from 'node:worker_threads';
import { buildServices } from '../../src/compose.js';
import { DomainError } from '../../src/domain/errors.js';
import { ManualClock } from '../../src/ports.js';
import { connect } from '../../src/storage/db.js';

interface Job {
  file: string;
  mediaDir: string;
  at: string;
  userId: string;
  op: 'redeem' | 'pay' | 'reject';
  count: number;
  points?: number;
  redemptionId?: string;
  tag: string;
}

const job = workerData as Job;
const database = connect(job.file);
const services = buildServices(database, { clock: new ManualClock(job.at), mediaStoreUrl: job.mediaDir });
const user = (await services.ctx.uow.autocommit.users.find(job.userId))!;
const principal = await services.ctx.principal(user);
await services.ctx.reference();

parentPort!.once('message', async () => {
  const runs = Array.from({ length: job.count }, (_, i) => {
    if (job.op === 'redeem') return services.points.requestRedemption(principal, job.points!);
    if (job.op === 'pay') return services.points.payRedemption(principal, job.redemptionId!, `TX-${job.tag}-${i}`);
    return services.points.rejectRedemption(principal, job.redemptionId!, '信息核对不一致');
  });
  const settled = await Promise.allSettled(runs);
  const outcomes = settled.map((r) => (r.status === 'fulfilled' ? 'ok' : r.reason instanceof DomainError ? r.reason.code : String(r.reason)));
  await database.close();
  parentPort!.postMessage(outcomes);
});
parentPort!.postMessage('ready');
