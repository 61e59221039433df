// The one way the browser app talks to Gridline: JSON (or a multipart form) to /api/v1, the session's
// bearer token, the user's language, and every refusal as an ApiError with the server's stable code and
// field, so a screen can say what went wrong in the user's language (i18n `errors.<code>`).

export interface Session {
  token: string;
  expiresAt: string;
  sessionId?: string;
  user: { id: string; username: string; displayName: string; role: string; locale: string };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
  /** No answer at all (offline, the server unreachable): worth trying again later. */
  get offline(): boolean {
    return this.status === 0;
  }
}

const SESSION_KEY = 'gridline.session';

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(SESSION_KEY);
    const session = raw ? (JSON.parse(raw) as Session) : null;
    return session && Date.parse(session.expiresAt) > Date.now() ? session : null;
  } catch {
    return null;
  }
}

const sessionListeners: ((session: Session | null) => void)[] = [];

/** Told of every sign-in and sign-out (the rider's queue keeps a copy for its service worker). */
export const onSessionChange = (listener: (session: Session | null) => void): void => void sessionListeners.push(listener);

export function saveSession(session: Session | null): void {
  if (session) localStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else localStorage.removeItem(SESSION_KEY);
  for (const listener of sessionListeners) listener(session);
}

let language = 'zh-CN';
export const setApiLanguage = (locale: string): void => {
  language = locale;
};

export interface CallOptions {
  method?: string;
  body?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
  /** Send without the session (sign-in). */
  anonymous?: boolean;
  /** Send with this session rather than the page's (the service worker has no localStorage). */
  session?: Session;
  signal?: AbortSignal;
}

export interface RequestOptions extends Omit<RequestInit, 'headers'> {
  headers?: Record<string, string>;
  /** Send without the session (sign-in). */
  anonymous?: boolean;
  /** Send with this session rather than the page's; a 401 then leaves the page's sign-in to the page. */
  session?: Session;
}

/**
 * One request to Gridline (`url` is the whole path, /api/v1/...) with the session and the user's language;
 * the answer when it is a 2xx, otherwise an ApiError with the server's code (status 0: no answer at all).
 * call() is this for JSON; the resumable upload and media copies use it for their headers and bytes.
 */
export async function request(url: string, options: RequestOptions = {}): Promise<Response> {
  const { anonymous, session: given, headers: extra, ...init } = options;
  const headers: Record<string, string> = { 'accept-language': language, ...extra };
  const session = anonymous ? null : (given ?? loadSession());
  if (session) headers.authorization = `Bearer ${session.token}`;
  let answer: Response;
  try {
    answer = await fetch(url, { ...init, headers, cache: 'no-store' });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'offline', 'No connection to Gridline.');
  }
  if (answer.ok) return answer;
  const text = await answer.text().catch(() => '');
  const e = (text ? (safeJson(text) as { error?: { code?: string; message?: string; field?: string; details?: { retryAfterS?: number } } } | null) : null)?.error;
  if (answer.status === 401 && session && !given) saveSession(null);
  throw new ApiError(answer.status, e?.code ?? `http_${answer.status}`, e?.message ?? answer.statusText, e?.field, e?.details?.retryAfterS);
}

export async function call<T>(path: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { ...options.headers };
  let body: BodyInit | undefined;
  if (options.form) body = options.form;
  else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const answer = await request(`/api/v1${path}`, { method: options.method ?? (body ? 'POST' : 'GET'), headers, body, signal: options.signal, anonymous: options.anonymous, session: options.session });
  const text = await answer.text();
  return (text ? safeJson(text) : null) as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
