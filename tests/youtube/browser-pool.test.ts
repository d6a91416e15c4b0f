/**
 * The browser pool on its own, with the real chromium against the local YouTube-like site: bounded
 * pages, contexts reused then recycled, a killed browser replaced, everything closed on stop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../activities/youtube/browser-pool';
import { chromiumChildren, isAlive, killChromium, waitUntil } from './chromium-processes';
import { startFakeYoutube, type FakeYoutube } from './fake-youtube';

let site: FakeYoutube;
beforeAll(async () => {
  site = await startFakeYoutube([{ id: 'cookie_vid1', tracks: [] }]);
});
afterAll(() => site?.close());

const newPool = (maxPages: number, contextMaxUses: number) => new BrowserPool({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', maxPages, contextMaxUses });

describe('browser pool', () => {
  it('reuses a context (cookies kept) until it has served contextMaxUses pages, then starts a fresh one', async () => {
    const pool = newPool(1, 2);
    await pool.start();
    try {
      const cookiesSeen: number[] = [];
      for (let i = 0; i < 5; i++) {
        await pool.withPage(async (page) => {
          cookiesSeen.push((await page.context().cookies()).length);
          await page.goto(`${site.url}/watch?v=cookie_vid1`);
        });
      }
      // uses 1-2 share a context, 3-4 the next, 5 a third: a fresh context has no cookie yet
      expect(cookiesSeen).toEqual([0, 1, 0, 1, 0]);
      expect(pool.stats).toMatchObject({ launches: 1, contextsCreated: 3, contextsRecycled: 2 });
    } finally {
      await pool.stop();
    }
  });

  it('never has more than maxPages pages open; the others wait their turn', async () => {
    const pool = newPool(2, 20);
    await pool.start();
    try {
      let open = 0;
      let most = 0;
      const titles = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          pool.withPage(async (page) => {
            open++;
            most = Math.max(most, open);
            await page.setContent(`<title>page ${i}</title>`);
            await new Promise((r) => setTimeout(r, 200));
            open--;
            return page.title();
          }),
        ),
      );
      expect(titles).toEqual(['page 0', 'page 1', 'page 2', 'page 3', 'page 4']);
      expect(most).toBe(2);
    } finally {
      await pool.stop();
    }
  });

  it('launches a new browser when the old one was killed', async () => {
    const pool = newPool(2, 20);
    await pool.start();
    try {
      await pool.withPage((page) => page.goto(`${site.url}/watch?v=cookie_vid1`));
      const killed = await killChromium();
      expect(killed.length).toBeGreaterThan(0);
      const title = await pool.withPage(async (page) => {
        await page.goto(`${site.url}/watch?v=cookie_vid1`);
        return page.title();
      });
      expect(title).toBe('cookie_vid1 - YouTube');
      expect(pool.stats.launches).toBe(2);
      expect(chromiumChildren().filter((pid) => !killed.includes(pid))).toHaveLength(1);
    } finally {
      await pool.stop();
    }
  });

  it('closes chromium on stop and refuses work afterwards', async () => {
    const pool = newPool(1, 20);
    await pool.start();
    const pids = chromiumChildren();
    expect(pids).toHaveLength(1);
    await pool.stop();
    await waitUntil(() => !pids.some(isAlive), 'chromium to exit');
    await expect(pool.withPage(async () => 'never')).rejects.toThrow(/stopped/);
  });
});
