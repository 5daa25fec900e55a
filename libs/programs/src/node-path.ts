/** Segments of a JSON path into a program: object keys and array indexes. */
export type PathSegment = string | number;

/** `["tree", "and", 1, "metric"]` → `tree.and[1].metric`, the form every message and state key uses. */
export function joinPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}
