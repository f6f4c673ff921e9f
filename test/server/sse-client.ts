/** A minimal SSE client over fetch for tests: collects frames and waits for the ones a test needs. */
export interface Frame {
  id?: string;
  event: string;
  data: unknown;
}

export interface TestStream {
  status: number;
  frames: Frame[];
  /** Resolves once `predicate` holds for the frames received; rejects after `timeoutMs`. */
  until(predicate: (frames: Frame[]) => boolean, timeoutMs?: number): Promise<Frame[]>;
  close(): void;
  /** The error body when the server refused the stream. */
  body?: unknown;
}

export async function openStream(url: string, headers: Record<string, string> = {}): Promise<TestStream> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  const stream: TestStream = {
    status: res.status,
    frames,
    until(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(frames)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(frames);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`stream condition not met within ${timeoutMs} ms; got ${JSON.stringify(frames.slice(-5))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => controller.abort(),
  };
  if (res.status !== 200 || !res.body) {
    stream.body = await res.json().catch(() => undefined);
    return stream;
  }
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const raw = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const frame: Frame = { event: 'message', data: undefined };
          const data: string[] = [];
          for (const line of raw.split('\n')) {
            if (line.startsWith('id: ')) frame.id = line.slice(4);
            else if (line.startsWith('event: ')) frame.event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (!data.length) continue;
          frame.data = JSON.parse(data.join('\n'));
          frames.push(frame);
          for (const w of [...waiters]) w();
        }
      }
    } catch {
      // aborted
    }
  })();
  return stream;
}

export const eventsOf = (frames: Frame[]) => frames.filter((f) => f.event === 'message').map((f) => f.data as { id: number; seq: number; type: string; runId: string; taskId: string | null; data: Record<string, unknown> | null });
