/** Finding the JSON object in an agent's answer: the whole text, a fenced ```json block, or the outermost braces. */

/**
 * The JSON value an answer holds.
 * @throws Error saying why nothing could be read (the message goes back to the agent).
 */
export function extractJson(answer: unknown): unknown {
  if (answer !== null && typeof answer === 'object') return answer;
  if (typeof answer !== 'string' || answer.trim() === '') throw new Error('the answer is empty: answer with one JSON object');
  const text = answer.trim();
  const candidates: string[] = [text];
  const fences = [...text.matchAll(/(`{3,}|~{3,})[ \t]*(?:json|JSON|jsonc)?[ \t]*\r?\n([\s\S]*?)\r?\n\1/g)].map((m) => m[2]!);
  candidates.push(...fences.reverse());
  const first = text.indexOf('{');
  const last = text.lastIndexOf('}');
  if (first >= 0 && last > first) candidates.push(text.slice(first, last + 1));
  let error = '';
  for (const c of candidates) {
    try {
      return JSON.parse(c) as unknown;
    } catch (e) {
      error ||= (e as Error).message;
    }
  }
  throw new Error(`the answer holds no valid JSON object (${error}): answer with the plan as one JSON object, without commentary`);
}
