/** Paths of validation issues in words (no schema library here: the CLI's config reader uses it too). */

/** Formats a zod path as `tasks[3].dependsOn[0]`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}
