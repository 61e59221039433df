// The reader's language: ?lang= first, then Accept-Language negotiated with its q-values, then the user's
// own setting, then Chinese. Which language an answer is in shows in the case's jurisdiction name, which
// the seed has in all three (zh-CN, en, bo).
//
// Negotiation is HTTP only, the same whatever the database: this runs on SQLite alone.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locale } from '../../src/domain/wording.js';
import { NAJIN_CODE } from '../../src/seed/najin-data.js';
import { DIALECTS } from '../support/db.js';
import { buildWorld, PASSWORD, type World } from '../support/world.js';
import { Api, expectNot500, type CaseJson } from './support.js';

type Named = CaseJson & { jurisdiction: { name: string } | null };

describe('the reader’s language over HTTP', () => {
  let world: World;
  let api: Api;
  let caseId: string;
  const names = new Map<string, Locale>();

  beforeAll(async () => {
    world = await buildWorld(DIALECTS[0]!);
    api = new Api(world);
    // A dispatcher whose own setting is Tibetan, to show what a wildcard (or no header) leaves to the server.
    await world.services.auth.addUser({
      username: 'dawa',
      password: PASSWORD,
      displayName: '达瓦',
      role: 'dispatcher',
      departmentId: world.department('nj-command').id,
      jurisdictionId: world.unit(NAJIN_CODE).id,
      locale: 'bo',
    });
    await api.loginAll(['dispatcher', 'dawa']);
    caseId = await world.report('solang');
    for (const lang of ['zh-CN', 'en', 'bo'] as const) {
      const res = await api.get('dispatcher', `/api/v1/cases/${caseId}?lang=${lang}`);
      expect(res.statusCode, res.body).toBe(200);
      names.set(res.json<Named>().jurisdiction!.name, lang);
    }
    expect(names.size, 'the jurisdiction has a different name in each language').toBe(3);
  });
  afterAll(() => world?.close());

  /** The language `who` reads their case in with this Accept-Language (and query string). */
  async function spoken(acceptLanguage: string | null, query = '', who = 'dispatcher'): Promise<Locale | undefined> {
    const res = await api.get(who, `/api/v1/cases/${caseId}${query}`, acceptLanguage === null ? {} : { 'accept-language': acceptLanguage });
    expect(res.statusCode, res.body).toBe(200);
    return names.get(res.json<Named>().jurisdiction!.name);
  }

  it('follows q-values, not the order of the header', async () => {
    expect(await spoken('en;q=0.1, bo;q=0.9')).toBe('bo');
    expect(await spoken('bo;q=0.9, en;q=0.1')).toBe('bo');
    expect(await spoken('en;q=0.9, bo;q=0.1')).toBe('en');
    expect(await spoken('zh-CN;q=0.2, en-GB;q=0.5')).toBe('en');
    expect(await spoken('bo;q=0.5, zh;q=0.6, en;q=0.4')).toBe('zh-CN');
    // Alike q-values: the reader's order decides.
    expect(await spoken('bo, en')).toBe('bo');
    expect(await spoken('en, bo')).toBe('en');
    expect(await spoken('en;q=0.5, bo;q=0.5')).toBe('en');
  });

  it('skips languages Gridline does not speak for the best one it does', async () => {
    expect(await spoken('fr-FR, de;q=0.9, en;q=0.5, bo;q=0.2')).toBe('en');
    expect(await spoken('fr-FR, de;q=0.9')).toBe('zh-CN');
  });

  it('rules out a language with q=0', async () => {
    expect(await spoken('en;q=0')).toBe('zh-CN');
    expect(await spoken('en;q=0, bo;q=0.1')).toBe('bo');
    expect(await spoken('zh;q=0, en;q=0, *')).toBe('bo');
    expect(await spoken('en;q=0.0, *;q=0.5')).toBe('zh-CN');
  });

  it('answers a wildcard with the default: Chinese, or the reader’s own setting', async () => {
    expect(await spoken('*')).toBe('zh-CN');
    expect(await spoken(null)).toBe('zh-CN');
    expect(await spoken('*', '', 'dawa')).toBe('bo');
    expect(await spoken(null, '', 'dawa')).toBe('bo');
    // A named language ranked above the wildcard still wins; ranked below, it does not.
    expect(await spoken('en, *;q=0.5', '', 'dawa')).toBe('en');
    expect(await spoken('en;q=0.4, *;q=0.5', '', 'dawa')).toBe('bo');
    expect(await spoken('en;q=0.4, *;q=0.5')).toBe('zh-CN');
    // The reader's own language ruled out: the wildcard falls to Chinese.
    expect(await spoken('bo;q=0, *', '', 'dawa')).toBe('zh-CN');
    // Nothing Gridline speaks: the reader's own setting.
    expect(await spoken('fr', '', 'dawa')).toBe('bo');
    expect(await spoken('en', '', 'dawa')).toBe('en');
  });

  it('matches any region or script of a language, whatever its case', async () => {
    expect(await spoken('en-GB')).toBe('en');
    expect(await spoken('EN-us')).toBe('en');
    expect(await spoken('zh-TW, en;q=0.5')).toBe('zh-CN');
    expect(await spoken('zh-Hant-HK;q=0.9, en;q=0.5')).toBe('zh-CN');
    expect(await spoken('BO-cn')).toBe('bo');
    expect(await spoken('bo-CN,bo;q=0.9,en;q=0.1')).toBe('bo');
  });

  it('lets ?lang= win over any Accept-Language, with the same region and case handling', async () => {
    expect(await spoken('bo;q=1, en;q=0.5', '?lang=en')).toBe('en');
    expect(await spoken('en', '?lang=zh-CN')).toBe('zh-CN');
    expect(await spoken('en;q=0', '?lang=en')).toBe('en');
    expect(await spoken('en', '?lang=BO_cn')).toBe('bo');
    expect(await spoken('en', '?lang=zh-TW', 'dawa')).toBe('zh-CN');
    // A ?lang= Gridline does not speak is no choice: Accept-Language, then the reader's setting, decide.
    expect(await spoken('en;q=0.2, bo;q=0.3', '?lang=fr')).toBe('bo');
    expect(await spoken(null, '?lang=fr', 'dawa')).toBe('bo');
  });

  it('copes with malformed headers: no 500, and no language picked from them', async () => {
    for (const header of ['', ';;;,,,', 'q=1', 'en;q=abc', '*;q=NaN', ';q=0.5', ',', '\u00e9\u00ff', `${'x-'.repeat(2000)}en`, 'en;q=-1', 'en;q=2']) {
      const res = await api.get('dispatcher', `/api/v1/cases/${caseId}`, { 'accept-language': header });
      expectNot500(res, JSON.stringify(header));
      expect(res.statusCode, `${JSON.stringify(header)}: ${res.body}`).toBe(200);
    }
    expect(await spoken('en;q=abc')).toBe('zh-CN');
    expect(await spoken(`${'x-'.repeat(2000)}en`)).toBe('zh-CN');
  });
});
