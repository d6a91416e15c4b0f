/**
 * Which zoom type each image gets (API-CONTRACT §4): each of the k requested types gets ⌊n/k⌋ images,
 * the first n mod k types one more, and the list is shuffled. The shuffle is seeded by the job id, so
 * a retried job builds the identical plan.
 */
import { seededRandom } from '../../common/random';

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
