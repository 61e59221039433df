// "Is it one of these?": open cases of the same or a related category near a new report's point,
// offered to the reporter before (and after) they submit. Related = same kind (部件/事件) and major class.

import { distanceM } from '../geo/area.js';
import { boxAround, cellRange, FINEST } from '../geo/cells.js';
import { checkPoint, toWgs84, type CoordSys } from '../geo/coords.js';
import { statusWords, type Locale } from '../domain/wording.js';
import { invalid } from '../domain/errors.js';
import type { Category } from '../domain/records.js';
import type { ServiceContext } from './context.js';

/** Open cases reported within this many days count as possible duplicates. */
export const DUPLICATE_WINDOW_DAYS = 7;
const MAX_CANDIDATES = 5;

export interface DuplicateQuery {
  lat: number;
  lon: number;
  coordSys?: CoordSys;
  categoryId: string;
}

export interface DuplicateCandidate {
  id: string;
  ref: string;
  category: { id: string; code: string; name: string };
  status: string;
  statusText: string;
  description: string;
  distanceM: number;
  reportedAt: string;
  /** A photo of the case the command centre published (faces and plates blurred), to judge by; null when none is. */
  photo: string | null;
}

export const relatedCategories = (category: Category, all: Category[]): Category[] =>
  all.filter((c) => c.active && c.kind === category.kind && c.majorCode === category.majorCode);

export class DuplicateService {
  constructor(private readonly ctx: ServiceContext) {}

  async candidates(q: DuplicateQuery, locale: Locale, excludeId?: string): Promise<DuplicateCandidate[]> {
    const { point: sent, coordSys } = checkPoint(q.lat, q.lon, q.coordSys ?? 'wgs84');
    const point = toWgs84(sent, coordSys);
    const { categories, categoryById: byId } = await this.ctx.reference();
    const category = byId.get(q.categoryId);
    if (!category) throw invalid('categoryId', `There is no category with id ${q.categoryId}.`, 'category_not_found');
    const related = relatedCategories(category, categories);
    const radius = category.duplicateRadiusM;
    const box = boxAround(point.lat, point.lon, radius);
    const since = new Date(this.ctx.now().getTime() - DUPLICATE_WINDOW_DAYS * 86_400_000).toISOString();
    // The SQL box is a little larger than the circle's: the exact distance decides below.
    const margin = { lat: (box.maxLat - box.minLat) * 0.01, lon: (box.maxLon - box.minLon) * 0.01 };
    const rows = await this.ctx.uow.autocommit.cells.openNear({
      ...cellRange(box.minLat, box.minLon, box.maxLat, box.maxLon, FINEST),
      box: { minLat: box.minLat - margin.lat, maxLat: box.maxLat + margin.lat, minLon: box.minLon - margin.lon, maxLon: box.maxLon + margin.lon },
      categoryIds: related.map((c) => c.id),
      since,
      excludeId,
      limit: 200,
    });
    const picked = rows
      .map((c) => ({ c, d: distanceM([point.lon, point.lat], [c.lon, c.lat]) }))
      .filter(({ d }) => d <= radius)
      // Same category first, then nearest.
      .sort((a, b) => Number(b.c.categoryId === category.id) - Number(a.c.categoryId === category.id) || a.d - b.d)
      .slice(0, MAX_CANDIDATES);
    const photos = await this.publishedPhotos(picked.map(({ c }) => c.id));
    return picked
      .map(({ c, d }) => {
        const cat = byId.get(c.categoryId)!;
        return {
          id: c.id,
          ref: c.ref,
          category: { id: cat.id, code: cat.code, name: locale === 'en' ? cat.names.en : locale === 'bo' ? cat.names.bo : cat.names.zh },
          status: c.status,
          statusText: statusWords(c.status, locale),
          description: [...c.description].slice(0, 80).join(''),
          distanceM: Math.round(d),
          reportedAt: c.reportedAt,
          photo: photos.get(c.id) ?? null,
        };
      });
  }

  /**
   * For each case, the public copy of its first published photo (the report's before the others). Only a
   * published copy: a reporter sees other people's cases through what the command centre chose to show.
   */
  private async publishedPhotos(caseIds: string[]): Promise<Map<string, string>> {
    if (caseIds.length === 0) return new Map();
    const media = this.ctx.uow.autocommit.media;
    const links = await media.linksOf(caseIds);
    const records = await media.findMany([...new Set(links.map((l) => l.mediaId))]);
    const published = new Set(records.filter((m) => m.kind === 'photo' && m.publicKey).map((m) => m.id));
    const found = new Map<string, string>();
    const order = (role: string) => (role === 'before' ? 0 : 1);
    for (const link of [...links].sort((a, b) => order(a.role) - order(b.role) || a.eventSeq - b.eventSeq)) {
      if (published.has(link.mediaId) && !found.has(link.caseId)) found.set(link.caseId, `/api/v1/public/media/${link.mediaId}`);
    }
    return found;
  }
}
