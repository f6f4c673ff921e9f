/**
 * Server-Sent Events: one run's events (id = the run's sequence number) or every run's (id = the
 * global event id), resumable with `Last-Event-ID`. The store is the source of every delivered
 * event: a live event only wakes the stream, which then reads what follows its cursor, so a
 * stream never skips or repeats an event, sees events written by other processes (polled), and a
 * slow client simply reads later (the store is its buffer). Live attempt output, which is not
 * persisted, is sent as `event: output` without an id, and dropped when the client lags.
 */
import type { ServerResponse } from 'node:http';
import type { AttemptOutputEvent } from '../core/events.js';
import type { EventRecord } from '../core/model.js';
import { redactText, redactValue } from './redact.js';

/** Where a stream reads its events. */
export interface StreamSource {
  /** Events after `cursor` in order, at most `limit`. */
  read(cursor: number, limit: number): Promise<EventRecord[]>;
  /** The cursor (and SSE id) of an event: its seq for a run stream, its id for the all-runs stream. */
  cursorOf(event: EventRecord): number;
  /** Whether a live event concerns this stream (wakes it). */
  wakesOn(event: EventRecord): boolean;
  /** Run whose live output the stream carries (null: none). */
  outputRunId: string | null;
  /** Only events whose type starts with one of these (empty: all). */
  types: readonly string[];
}

export interface StreamSettings {
  heartbeatMs: number;
  pollMs: number;
  /** Exact strings to redact from everything sent (the API token). */
  secrets: readonly string[];
}

const PAGE = 500;
/** Bytes buffered for a client past which live output lines are dropped. */
const OUTPUT_HIGH_WATER = 1024 * 1024;

/** One open event stream on a hijacked response. */
class SseStream {
  #cursor: number;
  #dirty = true;
  #closed = false;
  #wakeUp: (() => void) | null = null;
  readonly #timers: Array<ReturnType<typeof setInterval>> = [];
  readonly done: Promise<void>;

  constructor(
    readonly raw: ServerResponse,
    readonly source: StreamSource,
    cursor: number,
    readonly settings: StreamSettings,
    onError: (e: unknown) => void,
  ) {
    this.#cursor = cursor;
    this.#timers.push(setInterval(() => this.#write(': ping\n\n'), settings.heartbeatMs));
    this.#timers.push(setInterval(() => this.wake(), settings.pollMs));
    raw.on('close', () => this.close());
    this.done = this.#pump().catch((e: unknown) => {
      onError(e);
      this.close();
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  wake(): void {
    this.#dirty = true;
    const w = this.#wakeUp;
    this.#wakeUp = null;
    w?.();
  }

  output(o: AttemptOutputEvent): void {
    if (this.#closed || this.raw.writableLength > OUTPUT_HIGH_WATER) return;
    const text = redactText(o.text, this.settings.secrets);
    this.#write(`event: output\ndata: ${JSON.stringify({ taskId: o.taskId, attempt: o.attempt, stream: o.stream, text })}\n\n`);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    this.wake();
    if (!this.raw.writableEnded) this.raw.end();
  }

  #write(chunk: string): boolean {
    if (this.#closed || this.raw.writableEnded) return false;
    return this.raw.write(chunk);
  }

  async #pump(): Promise<void> {
    while (!this.#closed) {
      if (!this.#dirty) {
        await new Promise<void>((r) => (this.#wakeUp = r));
        continue;
      }
      this.#dirty = false;
      for (;;) {
        const events = await this.source.read(this.#cursor, PAGE);
        if (this.#closed) return;
        let ok = true;
        for (const e of events) {
          this.#cursor = this.source.cursorOf(e);
          if (this.source.types.length && !this.source.types.some((t) => e.type.startsWith(t))) continue;
          ok = this.#write(`id: ${this.#cursor}\ndata: ${JSON.stringify(redactValue(e, this.settings.secrets))}\n\n`);
        }
        if (!ok) await this.#drained();
        if (events.length < PAGE) break;
      }
    }
  }

  #drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.raw.off('drain', done);
        this.raw.off('close', done);
        resolve();
      };
      this.raw.once('drain', done);
      this.raw.once('close', done);
    });
  }
}

/** The open streams of a server, woken by the engine's live events. */
export class StreamHub {
  readonly #streams = new Set<SseStream>();
  #outputStreams = 0;
  #offOutput: (() => void) | null = null;
  /** The highest event id committed by this process so far. */
  lastEventId = 0;

  constructor(
    readonly settings: StreamSettings,
    /** Subscribes to live output; returns the unsubscribe function. Called only while some stream wants output. */
    readonly subscribeOutput: (listener: (o: AttemptOutputEvent) => void) => () => void,
    readonly onError: (e: unknown) => void,
  ) {}

  get size(): number {
    return this.#streams.size;
  }

  /** Starts streaming on a response whose headers are not sent yet. */
  open(raw: ServerResponse, source: StreamSource, cursor: number): SseStream {
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    raw.write('retry: 2000\n\n');
    const stream = new SseStream(raw, source, cursor, this.settings, this.onError);
    this.#streams.add(stream);
    if (source.outputRunId !== null && this.#outputStreams++ === 0) this.#offOutput = this.subscribeOutput((o) => this.#output(o));
    raw.on('close', () => {
      if (!this.#streams.delete(stream)) return;
      if (source.outputRunId !== null && --this.#outputStreams === 0) {
        this.#offOutput?.();
        this.#offOutput = null;
      }
    });
    return stream;
  }

  /** A committed event: wakes the streams it concerns. */
  notify(event: EventRecord): void {
    if (event.id > this.lastEventId) this.lastEventId = event.id;
    for (const s of this.#streams) if (s.source.wakesOn(event)) s.wake();
  }

  #output(o: AttemptOutputEvent): void {
    for (const s of this.#streams) if (s.source.outputRunId === o.runId) s.output(o);
  }

  /** Ends every stream (server shutdown). */
  closeAll(): void {
    for (const s of [...this.#streams]) s.close();
  }
}
