import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { buildApp } from './app.js';
import { defaultConfig } from './config.js';

/** The OpenAPI document the route schemas describe; it does not depend on the configuration. */
export async function openapiDocument(): Promise<unknown> {
  const app = await buildApp({ ...defaultConfig('/nonexistent'), logLevel: 'silent' }, { loggerInstance: pino({ level: 'silent' }) });
  await app.ready();
  const doc = app.swagger();
  await app.close();
  return doc;
}

export function serialize(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** `npm run openapi`: regenerates openapi/openapi.json (checked in; a test fails when it is stale). */
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const target = resolve(fileURLToPath(import.meta.url), '../../openapi/openapi.json');
  await writeFile(target, serialize(await openapiDocument()));
  process.stdout.write(`wrote ${target}\n`);
}
