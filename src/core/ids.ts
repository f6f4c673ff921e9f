/** Identifiers: sortable run ids and worker ids. */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

function base32(value: number, length: number): string {
  let out = '';
  let v = value;
  for (let i = 0; i < length; i++) {
    out = ALPHABET[v % 32]! + out;
    v = Math.floor(v / 32);
  }
  return out;
}

/**
 * A run id: `run_` + 10 characters of time (ms, sortable) + 8 random characters (Crockford base32).
 * Sorting ids sorts runs by creation time.
 */
export function newRunId(now: number = Date.now()): string {
  const bytes = randomBytes(5);
  let rand = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      rand += ALPHABET[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return `run_${base32(now, 10)}${rand}`;
}

/** Run ids accepted from outside: generated ones and user-chosen ones of the same character set. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function randomToken(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}
