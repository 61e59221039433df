// Signals across processes (ports.ts Signals): on PostgreSQL, LISTEN/NOTIFY on a connection of its own,
// so a report taken by one Gridline process wakes the notification workers and live streams of every
// other; on SQLite (one process) they stay in the process. A signal is only a hint to look now: the
// listening connection reconnects after a failure, and the workers and streams poll meanwhile.

import pg from 'pg';
import { sql } from 'kysely';
import { LocalSignals, type SignalTopic, type Signals } from '../ports.js';
import type { Database } from './db.js';

const TOPICS: readonly SignalTopic[] = ['outbox', 'feed'];

export function signalsFor(database: Database): Signals {
  return database.postgres ? new PgSignals(database, database.postgres.url, database.postgres.schema) : new LocalSignals();
}

class PgSignals implements Signals {
  private readonly local = new LocalSignals();
  private client?: pg.Client;
  private connecting?: Promise<void>;
  private closed = false;
  private pending = new Set<SignalTopic>();
  private flushing = false;
  private retryMs = 500;

  constructor(
    private readonly database: Database,
    private readonly url: string,
    schema: string | undefined,
    private readonly prefix = `gridline_${(schema ?? 'public').replace(/[^a-z0-9_]/gi, '_')}`.toLowerCase().slice(0, 50),
  ) {}

  private channel(topic: SignalTopic): string {
    return `${this.prefix}_${topic}`;
  }

  send(topic: SignalTopic): void {
    this.local.send(topic);
    if (this.closed) return;
    // Signals sent in one tick go out as one NOTIFY per topic, after the tick.
    this.pending.add(topic);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      const topics = [...this.pending];
      this.pending.clear();
      this.flushing = false;
      for (const t of topics) void sql`select pg_notify(${this.channel(t)}, '')`.execute(this.database.db).catch(() => undefined);
    });
  }

  on(topic: SignalTopic, listener: () => void): () => void {
    const off = this.local.on(topic, listener);
    void this.listen();
    return off;
  }

  /** One connection LISTENs for every topic; after a failure it reconnects with backoff. */
  private listen(): Promise<void> {
    if (this.closed || this.client) return Promise.resolve();
    this.connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.url });
      client.on('error', () => this.lost(client));
      client.on('end', () => this.lost(client));
      client.on('notification', (msg) => {
        const topic = TOPICS.find((t) => this.channel(t) === msg.channel);
        if (topic) this.local.send(topic);
      });
      try {
        await client.connect();
        for (const t of TOPICS) await client.query(`LISTEN ${this.channel(t)}`);
        if (this.closed) {
          await client.end().catch(() => undefined);
          return;
        }
        this.client = client;
        this.retryMs = 500;
        // Whatever was signalled while no one listened: look now.
        for (const t of TOPICS) this.local.send(t);
      } catch {
        await client.end().catch(() => undefined);
        this.retry();
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.retry();
  }

  private retry(): void {
    if (this.closed) return;
    const wait = this.retryMs;
    this.retryMs = Math.min(30_000, this.retryMs * 2);
    setTimeout(() => void this.listen(), wait).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.connecting;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
    await this.local.close();
  }
}
