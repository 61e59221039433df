#!/usr/bin/env node
// gridline: serve, start, migrate, seed --demo, user add, sweep.

import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from './config.js';
import { ROLES, type Role } from './domain/types.js';
import { DomainError } from './domain/errors.js';
import { buildApp } from './http/app.js';
import type { SweepResult } from './jobs/deadline-sweep.js';
import { buildJobs, DEADLINE_SWEEP } from './jobs/index.js';

/** How often a worker process cuts the live feed back (retention: services/notify/live.ts DEFAULT_LIVE). */
const FEED_RETENTION_MS = 10 * 60_000;
import { isSeeded, seedDemo } from './seed/demo.js';
import { printCredentials } from './seed/credentials.js';
import { DEFAULT_MEDIA_LIMITS } from './media/types.js';
import { buildUseCases, type ServiceOptions } from './compose.js';
import { connect, migrate, type Database } from './storage/db.js';
import { signalsFor } from './storage/signals.js';
import { closeSenders, sendersFrom } from './notify/index.js';
import { DEFAULT_DELIVERY } from './services/notify/deliver.js';

const USAGE = `Usage: gridline <command> [options]

Commands:
  start                 migrate, seed the Najin demo if the database is empty, then serve
  serve                 serve the API (and /docs) on HOST:PORT
  migrate               bring the database schema up to date
  seed --demo           load the Najin demo (places, departments, categories, staff, riders, cases)
       [--password P]   use P for every demo account instead of a random one
       [--cases N]      number of demo cases (default 320)
  user add --username U --password P --role R [--name N] [--phone X]
           [--department-code C] [--jurisdiction-code J] [--platform P --station S]
                        add a user; R is one of ${ROLES.join(', ')} (an employer
                        names its platform, station and jurisdiction)
  sweep                 run the deadline sweep once (reminders 催办, supervision 督办)
  unlock --username U   lift U's login lockout (after repeated failed logins) and forget the failures
  deliveries [--dead] [--channel C]
                        list notification deliveries (--dead: the dead-letter list, with the last error)
  redeliver (--id D ... | --all) [--channel C]
                        send dead deliveries again (one, several, or all of them, or all of a channel)
  notify                fan out the outbox and send what is due now, then exit
  import boundaries FILE.geojson
                        import jurisdiction boundaries (any level); all or nothing, problems listed

Environment: DATABASE_URL (default sqlite:data/gridline.db; postgres://... for PostgreSQL),
HOST, PORT, MEDIA_STORE (a directory, or s3://BUCKET/PREFIX?endpoint=URL&region=R&forcePathStyle=true
with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), MEDIA_DIR, MEDIA_MAX_PHOTO_MB, MEDIA_MAX_VIDEO_MB, MEDIA_MAX_FILES,
MEDIA_MAX_PIXELS, MEDIA_CONCURRENCY, EVIDENCE_FLAG_DISTANCE_M, EVIDENCE_FLAG_AGE_HOURS, LOG_LEVEL, TOKEN_TTL_HOURS,
SWEEP_INTERVAL_MS, BORDER_DISTANCE_M, DEMO_PASSWORD, THROTTLE_LOGIN_ACCOUNT, THROTTLE_LOCKOUT_MINUTES,
THROTTLE_LOGIN_ADDRESS, THROTTLE_REPORT, THROTTLE_READ, THROTTLE_PUBLIC, THROTTLE_PUBLIC_WRITE, TRUST_PROXY,
WORKERS, PUBLIC_URL, SMTP_URL, SMTP_FROM, WECOM_URL, DINGTALK_URL, NOTIFY_POLL_MS, NOTIFY_TIMEOUT_MS,
NOTIFY_BACKOFF_MS, NOTIFY_MAX_ATTEMPTS.`;


/** What the services take from the configuration. */
function serviceOptions(config: Config): Pick<ServiceOptions, 'mediaStoreUrl' | 'media' | 'evidence' | 'throttle' | 'notify'> {
  return {
    mediaStoreUrl: config.mediaStore,
    media: { limits: { ...DEFAULT_MEDIA_LIMITS, ...config.media }, concurrency: config.media.concurrency },
    evidence: config.evidence,
    throttle: config.throttle,
    notify: { publicUrl: config.notify.publicUrl, pollMs: config.notify.pollMs },
  };
}

/** The outside channels' senders and the delivery settings: for the processes that send (serve, redeliver). */
function senderOptions(config: Config): NonNullable<ServiceOptions['notify']> {
  const n = config.notify;
  return {
    publicUrl: n.publicUrl,
    pollMs: n.pollMs,
    senders: sendersFrom({ smtpUrl: n.smtpUrl, smtpFrom: n.smtpFrom, wecomUrl: n.wecomUrl, dingtalkUrl: n.dingtalkUrl }),
    delivery: { timeoutMs: n.timeoutMs, backoffMs: n.backoffMs, leaseMs: n.leaseMs, maxAttempts: { ...DEFAULT_DELIVERY.maxAttempts, ...n.maxAttempts } },
  };
}

async function seed(database: Database, config: Config, password?: string, cases?: number): Promise<void> {
  const started = Date.now();
  const creds = await seedDemo(database, { password: password ?? process.env.DEMO_PASSWORD, cases, mediaStoreUrl: config.mediaStore, log: (line) => console.log(line) });
  console.log(`Seeded in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  printCredentials(creds, config);
}

async function serve(database: Database, config: Config): Promise<void> {
  const signals = signalsFor(database);
  const notify = senderOptions(config);
  const services = buildUseCases(database, { ...serviceOptions(config), notify, signals, tokenTtlHours: config.tokenTtlHours, deviceSessionDays: config.deviceSessionDays, borderDistanceM: config.borderDistanceM });
  const app = await buildApp({ database, services, logLevel: config.logLevel, trustProxy: config.trustProxy, web: { tiles: config.tiles } });
  // Background work (the deadline sweep, SWEEP_INTERVAL_MS, and the notification worker) unless WORKERS=off: src/jobs.
  const jobs = buildJobs(services, { sweepIntervalMs: config.workers ? config.sweepIntervalMs : 0, feedRetentionMs: config.workers ? FEED_RETENTION_MS : 0 }, app.log);
  const stop = async () => {
    await jobs.stop();
    await services.notifyWorker.stop();
    await app.close();
    await signals.close();
    if (notify.senders) closeSenders(notify.senders);
    await database.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await app.listen({ host: config.host, port: config.port });
  jobs.start();
  if (config.workers) services.notifyWorker.start();
  console.log(`Gridline is serving on http://${config.host}:${config.port} (API docs at /docs, ${database.dialect}${config.workers ? '' : ', API only: WORKERS=off'})`);
}

async function main(argv: string[]): Promise<void> {
  const [command, sub] = argv;
  if (command === '--help' || command === '-h') {
    console.log(USAGE);
    return;
  }
  const { values } = parseArgs({
    args: argv.slice(command === 'user' || command === 'import' ? 2 : 1),
    allowPositionals: true,
    options: {
      demo: { type: 'boolean' },
      password: { type: 'string' },
      cases: { type: 'string' },
      username: { type: 'string' },
      role: { type: 'string' },
      name: { type: 'string' },
      phone: { type: 'string' },
      'department-code': { type: 'string' },
      'jurisdiction-code': { type: 'string' },
      platform: { type: 'string' },
      station: { type: 'string' },
      dead: { type: 'boolean' },
      all: { type: 'boolean' },
      id: { type: 'string', multiple: true },
      channel: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (!command || values.help || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return;
  }
  const config = loadConfig();
  const database = connect(config.databaseUrl, { schema: config.databaseSchema });
  const keepOpen = command === 'serve' || command === 'start';
  try {
    switch (command) {
      case 'migrate': {
        const applied = await migrate(database);
        console.log(applied.length ? `Applied ${applied.join(', ')}.` : 'The database is up to date.');
        break;
      }
      case 'seed': {
        if (!values.demo) throw new Error('Only the demo seed exists: run `gridline seed --demo`.');
        await migrate(database);
        if (await isSeeded(database)) {
          console.log('The database already holds data; the demo seed runs only on an empty database.');
          break;
        }
        const cases = values.cases === undefined ? undefined : Number(values.cases);
        if (cases !== undefined && !(Number.isInteger(cases) && cases >= 0)) throw new Error('--cases must be a whole number.');
        await seed(database, config, values.password, cases);
        break;
      }
      case 'start': {
        await migrate(database);
        if (!(await isSeeded(database))) await seed(database, config);
        await serve(database, config);
        break;
      }
      case 'serve':
        await serve(database, config);
        break;
      case 'sweep': {
        const result = await buildJobs(buildUseCases(database, serviceOptions(config)), { sweepIntervalMs: 0 }).runOnce<SweepResult>(DEADLINE_SWEEP);
        console.log(`Reminded ${result.reminded}, supervised ${result.supervised}, expired uploads ${result.uploadsExpired}.`);
        break;
      }
      case 'import': {
        if (sub !== 'boundaries') throw new Error('Usage: gridline import boundaries FILE.geojson');
        const file = argv[2];
        if (!file) throw new Error('Name the GeoJSON file: gridline import boundaries FILE.geojson');
        await migrate(database);
        const text = fs.readFileSync(file, 'utf8');
        try {
          const result = await buildUseCases(database).boundaries.import(text);
          console.log(`Imported ${file}: ${result.created.length} new unit(s), ${result.updated.length} updated.`);
        } catch (error) {
          if (error instanceof DomainError && error.code === 'boundaries_invalid') {
            const problems = (error.details.problems ?? []) as { reason: string }[];
            console.error(`${file} was not imported; nothing was changed. ${problems.length} problem(s):`);
            for (const p of problems) console.error(`  - ${p.reason}`);
            process.exitCode = 1;
            break;
          }
          throw error;
        }
        break;
      }
      case 'unlock': {
        if (!values.username) throw new Error('Usage: gridline unlock --username U');
        const { wasLocked } = await buildUseCases(database, serviceOptions(config)).throttle.unlock(values.username);
        console.log(wasLocked ? `Lifted the login lockout of ${values.username}; its failed logins are forgotten.` : `${values.username} was not locked out; its failed logins (if any) are forgotten.`);
        break;
      }
      case 'deliveries': {
        const services = buildUseCases(database, serviceOptions(config));
        const page = await services.notify.deliveries({ status: values.dead ? 'dead' : undefined, channelId: values.channel, limit: 200 });
        console.log(`${page.dead} dead, ${page.pending} pending.`);
        for (const d of page.items) {
          console.log(`${d.id}  ${d.status.padEnd(9)} ${String(d.attempts).padStart(2)} attempt(s)  ${d.eventType.padEnd(18)} ${d.ref}  ${d.lastError ?? ''}`);
        }
        break;
      }
      case 'redeliver': {
        const ids = values.id ?? [];
        if (values.all === (ids.length > 0)) throw new Error('Usage: gridline redeliver (--id D [--id D2 ...] | --all) [--channel C]');
        const services = buildUseCases(database, serviceOptions(config));
        const { redelivered } = await services.notify.redeliver(values.all ? 'all' : ids, values.channel);
        console.log(`${redelivered} dead deliver${redelivered === 1 ? 'y is' : 'ies are'} pending again; a running server sends ${redelivered === 1 ? 'it' : 'them'} within a second (or run \`gridline notify\`).`);
        break;
      }
      case 'notify': {
        const notify = senderOptions(config);
        const services = buildUseCases(database, { ...serviceOptions(config), notify });
        const r = await services.notifyWorker.drain();
        if (notify.senders) closeSenders(notify.senders);
        console.log(`Fanned out ${r.events} event(s); delivered ${r.delivered}, to retry ${r.retried}, dead ${r.dead}, held by robots' rate limits ${r.held}.`);
        break;
      }
      case 'user': {
        if (sub !== 'add') throw new Error('Usage: gridline user add --username U --password P --role R');
        const { username, password, role } = values;
        if (!username || !password || !role) throw new Error('user add needs --username, --password and --role.');
        if (!ROLES.includes(role as Role)) throw new Error(`--role must be one of ${ROLES.join(', ')}.`);
        const services = buildUseCases(database);
        const department = values['department-code'] ? await services.reference.departmentByCode(values['department-code']) : undefined;
        if (values['department-code'] && !department) throw new Error(`No department with code ${values['department-code']}.`);
        const unit = values['jurisdiction-code'] ? await services.reference.jurisdictionByCode(values['jurisdiction-code']) : undefined;
        if (values['jurisdiction-code'] && !unit) throw new Error(`No jurisdiction with code ${values['jurisdiction-code']}.`);
        const user = await services.auth.addUser({
          username,
          password,
          role: role as Role,
          displayName: values.name ?? username,
          phone: values.phone ?? null,
          departmentId: department?.id ?? null,
          jurisdictionId: unit?.id ?? department?.jurisdictionId ?? null,
          platform: values.platform ?? null,
          station: values.station ?? null,
        });
        console.log(`Added ${user.role} ${user.username} (${user.id}).`);
        break;
      }
      default:
        throw new Error(`Unknown command "${command}".\n\n${USAGE}`);
    }
  } finally {
    if (!keepOpen) await database.close();
  }
}

// If the event loop empties while main is still waiting, something never settled: say so, do not exit 0.
let finished = false;
process.on('beforeExit', () => {
  if (!finished) {
    console.error('gridline: stopped before finishing: an operation never completed. This is a bug; please report it.');
    process.exitCode = 1;
    finished = true;
  }
});

main(process.argv.slice(2))
  .then(() => {
    finished = true;
  })
  .catch((error: unknown) => {
  finished = true;
  const message = error instanceof DomainError ? `${error.message} (${error.code})` : error instanceof Error ? error.message : String(error);
  console.error(`gridline: ${message}`);
  process.exit(1);
});
