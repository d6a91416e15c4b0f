/**
 * One headless chromium per worker process, shared by the YouTube activities. At most `maxPages`
 * pages are open at once (callers beyond that wait their turn); browser contexts (cookies, cache) are
 * reused and closed after `contextMaxUses` pages so their state cannot grow without bound; a browser
 * that dies (crash, OOM kill) is relaunched on the next use; stop() closes everything.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright';
import type { Logger } from '../../common/logger';

export interface BrowserPoolOptions {
  executablePath: string;
  maxPages: number;
  contextMaxUses: number;
  logger?: Logger;
}

/** The machine's network is closed and nothing here needs a GPU or Google's background services. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Only the page's HTML and scripts matter; images, video, fonts and styles are never fetched. */
const SKIPPED_RESOURCES = new Set(['image', 'media', 'font', 'stylesheet']);

interface PooledContext {
  context: BrowserContext;
  browser: Browser;
  uses: number;
}

export class BrowserPool {
  private browser?: Browser;
  private launching?: Promise<Browser>;
  private idle: PooledContext[] = [];
  private openPages = 0;
  private waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private state: 'running' | 'stopped' = 'running';
  /** counters for health output and tests */
  readonly stats = { launches: 0, contextsCreated: 0, contextsRecycled: 0 };

  constructor(private readonly opts: BrowserPoolOptions) {}

  /** Launches the browser now, so a missing or broken chromium shows in the worker's log at startup. */
  async start(): Promise<void> {
    try {
      const browser = await this.ensureBrowser();
      this.opts.logger?.info({ version: browser.version(), maxPages: this.opts.maxPages }, 'browser pool ready');
    } catch (err) {
      // media work on this worker must not depend on chromium; YouTube activities retry the launch
      this.opts.logger?.error({ err, executablePath: this.opts.executablePath }, 'chromium could not be launched; YouTube transcripts will fail until it can');
    }
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    for (const w of this.waiting.splice(0)) w.reject(new Error('browser pool stopped'));
    const browser = this.browser ?? (await this.launching?.catch(() => undefined));
    this.browser = undefined;
    this.idle = [];
    await browser?.close().catch(() => undefined);
  }

  /** Runs fn with a fresh page in a pooled context; the page is closed afterwards, and at once on abort. */
  async withPage<T>(fn: (page: Page) => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquireSlot(signal);
    let pooled: PooledContext | undefined;
    let page: Page | undefined;
    const closePage = () => void page?.close().catch(() => undefined);
    try {
      ({ pooled, page } = await this.openPage());
      signal?.addEventListener('abort', closePage, { once: true });
      signal?.throwIfAborted();
      return await fn(page);
    } finally {
      signal?.removeEventListener('abort', closePage);
      await page?.close().catch(() => undefined);
      if (pooled) await this.giveBack(pooled);
      this.releaseSlot();
    }
  }

  private acquireSlot(signal?: AbortSignal): Promise<void> {
    if (this.state === 'stopped') return Promise.reject(new Error('browser pool stopped'));
    signal?.throwIfAborted();
    if (this.openPages < this.opts.maxPages) {
      this.openPages++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      const onAbort = () => {
        this.waiting = this.waiting.filter((w) => w !== waiter);
        reject(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private releaseSlot(): void {
    const next = this.waiting.shift();
    // the slot passes straight to the next waiter, so openPages stays the same
    if (next) next.resolve();
    else this.openPages--;
  }

  private async openPage(): Promise<{ pooled: PooledContext; page: Page }> {
    for (let attempt = 1; ; attempt++) {
      const browser = await this.ensureBrowser();
      try {
        const pooled = this.idleContextOf(browser) ?? { context: await this.newContext(browser), browser, uses: 0 };
        try {
          return { pooled, page: await pooled.context.newPage() };
        } catch (err) {
          await pooled.context.close().catch(() => undefined);
          throw err;
        }
      } catch (err) {
        // the browser died and its disconnect was not seen yet: forget it and launch a new one, once
        if (attempt > 1 || browser.isConnected() || this.state !== 'running') throw err;
        this.forget(browser);
      }
    }
  }

  private idleContextOf(browser: Browser): PooledContext | undefined {
    this.idle = this.idle.filter((p) => p.browser === browser);
    return this.idle.pop();
  }

  private async newContext(browser: Browser): Promise<BrowserContext> {
    const context = await browser.newContext({
      // YouTube answers headless user agents with a different page
      userAgent: `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${browser.version()} Safari/537.36`,
      locale: 'en-US',
      serviceWorkers: 'block',
    });
    await context.route('**/*', (route) => (SKIPPED_RESOURCES.has(route.request().resourceType()) ? route.abort() : route.fallback()));
    this.stats.contextsCreated++;
    return context;
  }

  private async giveBack(pooled: PooledContext): Promise<void> {
    pooled.uses++;
    const worn = pooled.uses >= this.opts.contextMaxUses;
    if (this.state === 'running' && !worn && pooled.browser === this.browser && pooled.browser.isConnected()) {
      this.idle.push(pooled);
      return;
    }
    if (worn) this.stats.contextsRecycled++;
    await pooled.context.close().catch(() => undefined);
  }

  private forget(browser: Browser): void {
    if (this.browser === browser) this.browser = undefined;
    this.idle = this.idle.filter((p) => p.browser !== browser);
  }

  private ensureBrowser(): Promise<Browser> {
    if (this.browser?.isConnected()) return Promise.resolve(this.browser);
    if (this.state === 'stopped') return Promise.reject(new Error('browser pool stopped'));
    this.launching ??= chromium
      .launch({ executablePath: this.opts.executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 })
      .then((browser) => {
        this.stats.launches++;
        browser.on('disconnected', () => {
          if (this.browser !== browser) return;
          this.forget(browser);
          if (this.state === 'running') this.opts.logger?.warn('chromium disconnected; it will be relaunched on the next use');
        });
        if (this.state === 'stopped') {
          void browser.close();
          throw new Error('browser pool stopped');
        }
        this.browser = browser;
        return browser;
      })
      .finally(() => {
        this.launching = undefined;
      });
    return this.launching;
  }
}
