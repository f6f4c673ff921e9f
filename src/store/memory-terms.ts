/** The words of a memory query, as both stores' full-text search and the plane's relevance see them. */

/** Words too common to help a match (they would only slow BM25 down). */
const STOP_WORDS = new Set(
  'a an and are as at be but by can do does for from has have how i if in into is it its of on or our should so than that the their them then there these they this to was we were what when where which while who why will with would you your'.split(' '),
);

/** The distinct words of a text: letters and digits, lowercased, stop words dropped, at most `max`. */
export function queryWords(text: string, max = 32): string[] {
  const words = (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !STOP_WORDS.has(w));
  return [...new Set(words)].slice(0, max);
}
