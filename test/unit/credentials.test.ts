// The demo password reaches a person at a terminal and a file only they can read, never a log: a server
// started with its output redirected (a service manager's log, `npm start > server.log`) prints no password.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { printCredentials } from '../../src/seed/credentials.js';

const creds = { staff: [{ username: 'dispatcher', role: 'dispatcher', password: 'secret-demo-pass' }], riders: { usernames: 'rider01 ... rider40', password: 'secret-demo-pass' } };

function capture(isTTY: boolean) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gridline-creds-'));
  let text = '';
  printCredentials(creds, loadConfig({ DATABASE_URL: `sqlite:${path.join(dir, 'gridline.db')}` }), { isTTY, write: (t: string) => (text += t) });
  return { text, file: path.join(dir, 'demo-credentials.txt') };
}

describe('demo credentials', () => {
  it('prints no password when the output is not a terminal, and names the file that holds it', () => {
    const { text, file } = capture(false);
    expect(text).not.toContain('secret-demo-pass');
    expect(text).toContain(file.split(path.sep).pop());
    expect(fs.readFileSync(file, 'utf8')).toContain('secret-demo-pass');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('shows the accounts and password to a person at a terminal', () => {
    const { text } = capture(true);
    expect(text).toContain('dispatcher');
    expect(text).toContain('secret-demo-pass');
  });
});
