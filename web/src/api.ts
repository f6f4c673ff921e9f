/**
 * The dashboard's API client: fetch with the bearer token (kept in localStorage), and a
 * Server-Sent Events reader over fetch (EventSource cannot send an Authorization header) that
 * reconnects with Last-Event-ID.
 */
import type { EventRecord, OutputLine } from './types';

const TOKEN_KEY = 'tutti.token';

export function getToken(): string {
  return localStorage.getItem(TOKEN_KEY) ?? '';
}

export function setToken(token: string): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
  window.dispatchEvent(new Event('tutti:token'));
}

/** Fired when the API answers 401: the app asks for a token. */
export const UNAUTHORIZED_EVENT = 'tutti:unauthorized';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = getToken();
  return token ? { ...extra, authorization: `Bearer ${token}` } : extra;
}

/** A JSON request. @throws ApiError with the server's error code and message. */
export async function api<T>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers: headers(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  if (res.status === 401) window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? res.statusText);
  }
  return json as T;
}

export interface StreamHandlers {
  onEvent(e: EventRecord): void;
  onOutput?(o: OutputLine): void;
  /** Connected (true) or retrying (false). Refresh what the stream feeds on `true`: events before it connected are not replayed without an id. */
  onStatus?(connected: boolean): void;
}

/**
 * Follows an SSE endpoint until `signal` aborts, reconnecting after errors from the last id seen.
 * @param lastEventId resume after this id (undefined: the server's default start).
 */
export function followStream(path: string, handlers: StreamHandlers, signal: AbortSignal, lastEventId?: number): void {
  let last = lastEventId;
  const run = async () => {
    while (!signal.aborted) {
      try {
        const res = await fetch(path, { headers: headers({ accept: 'text/event-stream', ...(last !== undefined ? { 'last-event-id': String(last) } : {}) }), signal });
        if (res.status === 401) window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
        if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
        handlers.onStatus?.(true);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            let id: string | undefined;
            let event = 'message';
            const data: string[] = [];
            for (const line of frame.split('\n')) {
              if (line.startsWith('id:')) id = line.slice(3).trim();
              else if (line.startsWith('event:')) event = line.slice(6).trim();
              else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
            }
            if (!data.length) continue;
            if (id !== undefined) last = Number(id);
            const payload = JSON.parse(data.join('\n')) as unknown;
            if (event === 'output') handlers.onOutput?.(payload as OutputLine);
            else handlers.onEvent(payload as EventRecord);
          }
        }
      } catch {
        if (signal.aborted) return;
      }
      handlers.onStatus?.(false);
      // Retry in a second, or at once when a new token is saved.
      await new Promise<void>((r) => {
        const done = () => {
          clearTimeout(timer);
          window.removeEventListener('tutti:token', done);
          r();
        };
        const timer = setTimeout(done, 1000);
        window.addEventListener('tutti:token', done);
      });
    }
  };
  void run();
}
