import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Closes a connection on which no byte has moved either way for `idleMs`, at most a check
 * interval late. Node's own socket timeout (`server.timeout`) is postponed once when the
 * socket's write queue changed since its last look, so a client that stops reading a stream
 * held its connection, and the file behind it, for about twice the documented time. Progress is
 * what the socket has read, and what it has handed to the kernel (bytes still queued in the
 * process do not count).
 *
 * A connection whose request has arrived whole and whose answer the service is still working on
 * (nothing queued for the client) is not idle: a slow answer (a wait for the memory budget, a
 * usage scan) is the service's doing, and closing its connection turned it into a reset instead
 * of its answer or a 503. A client that stops reading is still cut off: what is queued for it
 * then waits in the process. Node's own timeout is overruled the same way (its `timeout` event).
 *
 * The function returned closes every connection with no request under way, for the start of the
 * server's close (app.ts calls it first thing); once the server no longer listens, each look does
 * the same, for one opened meanwhile. Node's close ends only idle keep-alive connections: one that
 * has sent nothing yet (a browser's spare connection) or only part of a request head counts as
 * busy, and the close stops the headers timeout that would have ended it, so such a connection
 * held the close for idleMs (60 s: a team browser test's server, in CI). A connection opened
 * during the close may still send its request (a shutting-down service answers it 503).
 */
export function enforceIdleTimeout(server: Server, idleMs: number): () => void {
  const sockets = new Map<Socket, { moved: number; at: number; requests: Set<IncomingMessage> }>();
  const progress = (s: Socket) => s.bytesRead + s.bytesWritten - s.writableLength;
  const working = (s: Socket) => {
    const requests = sockets.get(s)?.requests;
    if (requests === undefined || s.writableLength > 0) return false;
    for (const r of requests) if (r.complete) return true;
    return false;
  };
  server.on('connection', (socket: Socket) => {
    sockets.set(socket, { moved: progress(socket), at: Date.now(), requests: new Set() });
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('request', (request: IncomingMessage, response) => {
    const requests = sockets.get(request.socket)?.requests;
    if (requests === undefined) return;
    requests.add(request);
    response.once('close', () => requests.delete(request));
  });
  // Without a listener Node destroys the socket itself, whatever is in progress on it.
  server.on('timeout', (socket: Socket) => {
    if (!working(socket)) socket.destroy();
  });
  const unused = (s: Socket) => sockets.get(s)?.requests.size === 0 && s.writableLength === 0;
  const closeUnused = () => {
    for (const socket of sockets.keys()) if (unused(socket)) socket.destroy();
  };
  const timer = setInterval(
    () => {
      if (!server.listening) closeUnused();
      const now = Date.now();
      for (const [socket, last] of sockets) {
        const moved = progress(socket);
        if (moved !== last.moved || working(socket)) sockets.set(socket, { ...last, moved, at: now });
        else if (now - last.at >= idleMs) socket.destroy();
      }
    },
    Math.max(50, Math.min(1000, Math.floor(idleMs / 4))),
  );
  timer.unref();
  server.once('close', () => clearInterval(timer));
  return closeUnused;
}
