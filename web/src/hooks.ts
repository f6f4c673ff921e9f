/** Data hooks: a polled resource, and a refresh that re-runs when the token changes. */
import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * Loads `load()` now, every `intervalMs` (0: never), and whenever `refresh()` is called
 * (coalesced: calls within `debounceMs` make one load).
 */
export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[], intervalMs = 0, debounceMs = 150) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;
  const controller = useRef<AbortController | null>(null);

  const fetchNow = useCallback(async () => {
    controller.current?.abort();
    const c = new AbortController();
    controller.current = c;
    try {
      const v = await loadRef.current(c.signal);
      if (!c.signal.aborted) {
        setData(v);
        setError(null);
      }
    } catch (e) {
      if (!c.signal.aborted) setError((e as Error).message);
    }
  }, []);

  const refresh = useCallback(() => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      void fetchNow();
    }, debounceMs);
  }, [fetchNow, debounceMs]);

  useEffect(() => {
    setData(null);
    void fetchNow();
    const onToken = () => void fetchNow();
    window.addEventListener('tutti:token', onToken);
    const poll = intervalMs > 0 ? setInterval(() => void fetchNow(), intervalMs) : null;
    return () => {
      window.removeEventListener('tutti:token', onToken);
      if (poll) clearInterval(poll);
      if (timer.current) clearTimeout(timer.current);
      timer.current = null;
      controller.current?.abort();
    };
  }, deps);

  return { data, error, refresh, setData };
}
