/** API process. */
import { loadConfig } from '../common/config';
import { createLogger } from '../common/logger';
import { connectRuntime } from '../common/runtime';
import { createApi } from '../api/main';

async function main() {
  const config = loadConfig();
  const logger = createLogger('autodark-api', config.LOG_LEVEL);
  const runtime = await connectRuntime(config);
  const app = await createApi(config, runtime, logger);
  await app.listen({ port: config.PORT, host: config.HOST });
  const stop = async () => {
    // requests in flight get a few seconds to finish; then every connection is closed, so a
    // keep-alive socket a client left half-open cannot hold the shutdown for the keep-alive timeout
    setTimeout(() => app.server.closeAllConnections(), 5_000).unref();
    await app.close();
    await runtime.connection.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
