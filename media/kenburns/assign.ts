/**
 * Which zoom type each image gets (API-CONTRACT §4): each of the k requested types gets ⌊n/k⌋ images,
 * the first n mod k types one more, and the list is shuffled. The shuffle is seeded by the job id, so
 * a retried job builds the identical plan.
 */
export function assignZoomTypes<T>(count: number, types: readonly T[], seed: string): T[] {
  if (!types.length) throw new Error('at least one zoom type is needed');
  const list: T[] = [];
  types.forEach((type, i) => {
    const share = Math.floor(count / types.length) + (i < count % types.length ? 1 : 0);
    for (let j = 0; j < share; j++) list.push(type);
  });
  const random = seededRandom(seed);
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
}

/** mulberry32 seeded with an FNV-1a hash of the text: small, fast, and the same on every run. */
function seededRandom(text: string): () => number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  let state = h >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
