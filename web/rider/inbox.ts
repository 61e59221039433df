// The rider's messages (GET /me/inbox) and the unread count shown on the tab, refreshed when the app
// comes back to the foreground, when the network returns and every minute while open.
import { ref } from 'vue';
import { call, loadSession } from '../shared/api.js';
import { onReconnect } from './network.js';

export interface InboxItem {
  id: string;
  caseId: string | null;
  kind: string;
  link: string | null;
  title: string;
  body: string;
  createdAt: string;
  readAt: string | null;
}

export const inboxItems = ref<InboxItem[]>([]);
export const unread = ref(0);

export async function refreshInbox(): Promise<void> {
  if (!loadSession()) return;
  try {
    const answer = await call<{ items: InboxItem[]; unread: number }>('/me/inbox?limit=50');
    inboxItems.value = answer.items;
    unread.value = answer.unread;
  } catch {
    // Offline or signed out: keep what is shown.
  }
}

export async function markRead(ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await call('/me/inbox/read', { body: { ids } });
  await refreshInbox();
}

let started = false;
export function startInbox(): void {
  if (started) return;
  started = true;
  void refreshInbox();
  onReconnect(() => void refreshInbox());
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && void refreshInbox());
  setInterval(() => document.visibilityState === 'visible' && void refreshInbox(), 60_000);
}
