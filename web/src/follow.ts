/** Scrolling that follows new output at the bottom, unless the user scrolled up to read. */
import { useCallback, useEffect, useRef } from 'react';

/** Pixels from the bottom that still count as "at the bottom". */
const SLACK = 30;

/**
 * @param content changes whenever new output arrives (the text, or the lines).
 * @returns a ref for the scrolling element and its onScroll handler.
 */
export function useFollowScroll<T extends HTMLElement>(content: unknown) {
  const ref = useRef<T>(null);
  const follow = useRef(true);
  useEffect(() => {
    const el = ref.current;
    if (el && follow.current) el.scrollTop = el.scrollHeight;
  }, [content]);
  const onScroll = useCallback(() => {
    const el = ref.current;
    if (el) follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < SLACK;
  }, []);
  return { ref, onScroll };
}
