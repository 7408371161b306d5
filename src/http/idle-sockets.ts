import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Closes a connection on which no byte has moved either way for `idleMs`, at most a check
 * interval late. Node's own socket timeout (`server.timeout`) is postponed once when the
 * socket's write queue changed since its last look, so a client that stops reading a stream
 * held its connection, and the file behind it, for about twice the documented time. Progress is
 * what the socket has read, and what it has handed to the kernel (bytes still queued in the
 * process do not count).
 */
export function enforceIdleTimeout(server: Server, idleMs: number): void {
  const sockets = new Map<Socket, { moved: number; at: number }>();
  const progress = (s: Socket) => s.bytesRead + s.bytesWritten - s.writableLength;
  server.on('connection', (socket: Socket) => {
    sockets.set(socket, { moved: progress(socket), at: Date.now() });
    socket.once('close', () => sockets.delete(socket));
  });
  const timer = setInterval(
    () => {
      const now = Date.now();
      for (const [socket, last] of sockets) {
        const moved = progress(socket);
        if (moved !== last.moved) sockets.set(socket, { moved, at: now });
        else if (now - last.at >= idleMs) socket.destroy();
      }
    },
    Math.max(50, Math.min(1000, Math.floor(idleMs / 4))),
  );
  timer.unref();
  server.once('close', () => clearInterval(timer));
}
