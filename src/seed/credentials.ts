// Where the demo's accounts and password are shown: to a person at a terminal and in a file only the
// owner can read, never in a log.

import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { isPostgresUrl, sqlitePath } from '../storage/db.js';
import type { DemoCredentials } from './demo.js';

/**
 * The demo accounts and their password go to a person at a terminal and to a file only the owner can
 * read, never into a log: when output is redirected (a service's log), only the file's name is printed.
 */
export function printCredentials(creds: DemoCredentials, config: Config, out: { isTTY?: boolean; write(text: string): unknown } = process.stdout): void {
  const lines = [
    'Demo accounts (log in with POST /api/v1/auth/login):',
    ...creds.staff.map((s) => `  ${s.username.padEnd(16)} ${s.role.padEnd(11)} password: ${s.password}`),
    `  ${creds.riders.usernames.padEnd(28)}password: ${creds.riders.password}  (40 riders)`,
  ];
  // Beside the SQLite database, or in data/ for PostgreSQL: found again after the terminal has scrolled away.
  const sqlite = !isPostgresUrl(config.databaseUrl) && sqlitePath(config.databaseUrl) !== ':memory:';
  const file = path.join(sqlite ? path.dirname(path.resolve(sqlitePath(config.databaseUrl))) : path.resolve('data'), 'demo-credentials.txt');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  const where = path.relative(process.cwd(), file) || file;
  if (out.isTTY) out.write(`${lines.join('\n')}\n(also written to ${where})\n`);
  else out.write(`Demo accounts created; their usernames and password are in ${where} (readable by this user only).\n`);
}
