/**
 * Bearer-token authentication and the loopback rule: the API requires a token whenever it
 * listens beyond loopback (ARCHITECTURE.md §13). Tokens are compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** Whether a listen address only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return isIP(h.slice(7)) === 4 && h.slice(7).startsWith('127.');
  return false;
}

/**
 * A constant-time check of `Authorization: Bearer <token>` against the expected token. Both sides
 * are hashed first, so neither the comparison time nor an early length mismatch reveals anything.
 */
export function createTokenCheck(token: string): (authorization: string | undefined) => boolean {
  const expected = createHash('sha256').update(token, 'utf8').digest();
  return (authorization) => {
    if (typeof authorization !== 'string') return false;
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    const given = createHash('sha256').update(m ? m[1]! : '', 'utf8').digest();
    // Always compare, so a missing or malformed header costs the same as a wrong token.
    return timingSafeEqual(given, expected) && m !== null;
  };
}
