#!/usr/bin/env node
// The baseline for the throughput target: a bare Fastify hello-world, as close to "the least a
// Fastify route can cost" as it gets (no logger, no schema, no hooks).
// usage: node bench/hello-server.mjs --port P
import { parseArgs } from 'node:util';
import Fastify from 'fastify';

const { values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' } } });
const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ host: values.host, port: Number(values.port ?? 0) });
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
