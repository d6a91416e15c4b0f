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
