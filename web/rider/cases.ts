// The rider's own cases as the server tells them (GET /me/reports, GET /cases/{id}: the reporter's view,
// each step in plain words), and the two things a rider may do once it is closed: rate it, or reopen it.
import { call, request } from '../shared/api.js';

export interface TimelineEntry { at: string; action: string; status: string; text: string; evidence: string[] }
export interface EvidenceItem { media: { id: string; kind: string; mime: string }; eventSeq: number }
export interface MyCase {
  id: string;
  ref: string;
  status: string;
  statusText: string;
  category: { id: string; code: string; name: string };
  urgency: string;
  description: string;
  address: string | null;
  media: string[];
  reportedAt: string;
  closedAt: string | null;
  rating: { score: number; unitAtFault: boolean } | null;
  canRate: boolean;
  canReopen: boolean;
  mergedInto: { id: string; ref: string } | null;
  timeline: TimelineEntry[];
  evidence?: { before: EvidenceItem[]; after: EvidenceItem[]; earlierAfter: EvidenceItem[]; other: EvidenceItem[] };
}

export const myReports = (page = 1) => call<{ items: MyCase[]; total: number; page: number; pageSize: number }>(`/me/reports?page=${page}&pageSize=20`);
export const myCase = (id: string) => call<MyCase>(`/cases/${encodeURIComponent(id)}`);
export const act = (id: string, action: 'rate' | 'reopen', body: Record<string, unknown>, key: string) =>
  call<MyCase>(`/cases/${encodeURIComponent(id)}/actions/${action}`, { body, headers: { 'idempotency-key': key } });

/** A photo of the rider's own case, fetched with the session (the media route checks who asks). */
export async function mediaUrl(id: string): Promise<string> {
  const answer = await request(`/api/v1/media/${encodeURIComponent(id)}?variant=thumb`);
  return URL.createObjectURL(await answer.blob());
}
