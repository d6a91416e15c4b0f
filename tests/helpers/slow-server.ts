/** Serves one file slowly (a chunk every `intervalMs`), to keep a job busy while a test acts on it. */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';

export interface SlowServer {
  url: string;
  requests: number;
  close(): Promise<void>;
}

export async function startSlowServer(file: string, opts: { chunks: number; intervalMs: number }): Promise<SlowServer> {
  const data = readFileSync(file);
  const state = { requests: 0 };
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer((_req, res) => {
    state.requests++;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length });
    const size = Math.ceil(data.length / opts.chunks);
    let offset = 0;
    const timer = setInterval(() => {
      if (res.destroyed) return clearInterval(timer);
      res.write(data.subarray(offset, offset + size));
      offset += size;
      if (offset >= data.length) {
        clearInterval(timer);
        res.end();
      }
    }, opts.intervalMs);
    res.on('close', () => clearInterval(timer));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/slow.mp4`,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise((r) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => r());
      }),
  };
}
