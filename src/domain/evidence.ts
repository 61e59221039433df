// Evidence rules that need no I/O: how many files an item may carry, and what a photo's own capture
// metadata says against the case it is attached to (taken far from the reported point, long before the
// report, or — for an after-photo — before the problem was even reported). Flags inform the dispatcher;
// they never refuse a report, since many phones and chat apps strip EXIF.

import { distanceM } from '../geo/area.js';
import { DomainError } from './errors.js';

export interface EvidenceOptions {
  /** Most media one report, action or comment may carry (default 9). */
  maxFiles: number;
  /** A photo whose GPS lies further than this from the case's point is flagged (default 500 m). */
  flagDistanceM: number;
  /** A photo taken longer than this before it was attached is flagged (default 48 h). */
  flagAgeHours: number;
}

export const DEFAULT_EVIDENCE: EvidenceOptions = { maxFiles: 9, flagDistanceM: 500, flagAgeHours: 48 };

/** More files than one item may carry. */
export const tooManyMedia = (limit: number, count?: number): DomainError =>
  new DomainError('invalid', 'too_many_media', `Attach at most ${limit} photos or videos at a time.`, { field: 'media', limit, ...(count === undefined ? {} : { count }) });

export type EvidenceRole = 'before' | 'after' | 'other';

import type { MediaKind } from './records.js';

export type EvidenceFlag =
  | { code: 'taken_far_away'; distanceM: number }
  | { code: 'taken_long_ago'; hours: number }
  | { code: 'taken_before_report'; minutes: number }
  | { code: 'no_capture_metadata' };

export interface CaptureFacts {
  kind: MediaKind;
  takenAt: string | null;
  takenLat: number | null;
  takenLon: number | null;
}

export interface AttachFacts {
  role: EvidenceRole;
  /** The case's point (WGS-84). */
  lat: number;
  lon: number;
  reportedAt: string;
  /** When the media is attached (the event's time). */
  at: string;
}

export function evidenceFlags(media: CaptureFacts, attach: AttachFacts, options: EvidenceOptions = DEFAULT_EVIDENCE): EvidenceFlag[] {
  const flags: EvidenceFlag[] = [];
  if (media.takenLat !== null && media.takenLon !== null) {
    const d = distanceM([attach.lon, attach.lat], [media.takenLon, media.takenLat]);
    if (d > options.flagDistanceM) flags.push({ code: 'taken_far_away', distanceM: Math.round(d) });
  }
  if (media.takenAt !== null) {
    const taken = Date.parse(media.takenAt);
    const ageH = (Date.parse(attach.at) - taken) / 3_600_000;
    if (ageH > options.flagAgeHours) flags.push({ code: 'taken_long_ago', hours: Math.round(ageH) });
    // An after-photo older than the report cannot show the repair (a minute's grace for clock skew).
    const beforeReportMin = (Date.parse(attach.reportedAt) - taken) / 60_000;
    if (attach.role === 'after' && beforeReportMin > 1) flags.push({ code: 'taken_before_report', minutes: Math.round(beforeReportMin) });
  }
  if (media.kind === 'photo' && media.takenAt === null && media.takenLat === null) flags.push({ code: 'no_capture_metadata' });
  return flags;
}
