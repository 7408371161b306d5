#!/usr/bin/env node
// The baseline for the NDJSON target when nginx is not installed: a minimal static file server,
// node:http + fs.createReadStream, serving one file (whatever the URL) with Content-Length.
// usage: node bench/static-server.mjs --port P --file PATH
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { port: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' }, file: { type: 'string' } },
});
if (!values.file) {
  process.stderr.write('usage: node bench/static-server.mjs --port P --file PATH\n');
  process.exit(2);
}
const file = values.file;
const server = createServer(async (req, res) => {
  try {
    const st = await stat(file);
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'content-length': st.size });
    if (req.method === 'HEAD') return res.end();
    const stream = createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  } catch {
    res.writeHead(404).end();
  }
});
server.listen(Number(values.port ?? 0), values.host);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
