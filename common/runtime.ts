/** Builds the shared dependencies of a process (API or worker) from settings. */
import { Client, Connection } from '@temporalio/client';
import type { Config } from './config';
import { Guard } from './net/guarded-fetch';
import { guardedAgent, parseAllowList, type AllowList } from './net/ssrf';
import { createStorage, type Storage } from './storage';

export interface Runtime {
  connection: Connection;
  client: Client;
  storage: Storage;
  allowList: AllowList;
  guard: Guard;
}

export async function connectRuntime(config: Config): Promise<Runtime> {
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const allowList = parseAllowList(config.ALLOWED_PRIVATE_HOSTS);
  return { connection, client, storage: createStorage(config), allowList, guard: new Guard(allowList, guardedAgent(allowList)) };
}
