/** Serves a directory over HTTP on 127.0.0.1 (a random port), as a remote media host would. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join, normalize, sep } from 'node:path';

export interface FileServer {
  /** http://127.0.0.1:<port>/<name> */
  url(name: string): string;
  close(): Promise<void>;
}

export async function serveDirectory(root: string): Promise<FileServer> {
  const base = normalize(root + sep);
  const server: Server = createServer(async (req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
    const full = normalize(join(base, rel));
    try {
      if (!full.startsWith(base)) throw new Error('outside root');
      const info = await stat(full);
      res.writeHead(200, { 'content-length': info.size, 'content-type': 'application/octet-stream' });
      createReadStream(full).pipe(res);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: (name) => `http://127.0.0.1:${port}/${name.split('/').map(encodeURIComponent).join('/')}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
