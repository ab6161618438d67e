import net from 'node:net';

/**
 * A TCP forwarder in front of a real server: open, it passes connections through; shut, nothing
 * listens on its port, so connections are refused, as by a relay that is down. Reopens on the
 * same port.
 */
export async function startTcpGate(
  targetPort: number,
  opts: {
    /**
     * Told each chunk the client writes; true cuts that connection there (both sides, the chunk
     * never reaching the server), as a relay that goes away in the middle of a session.
     */
    cutWhen?: (chunk: string) => boolean;
  } = {},
) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    // Each SMTP command and answer is passed on at once, as over a direct connection: with
    // Nagle's algorithm a forwarded small write waited for the last one's ACK, which the far
    // side delays (about 40 ms), and 300 messages took 9 s through the gate instead of 1.5.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    if (opts.cutWhen)
      client.on('data', (chunk: Buffer) => {
        if (opts.cutWhen!(chunk.toString('latin1'))) {
          client.destroy();
          upstream.destroy();
        } else upstream.write(chunk);
      });
    else client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    /** Connections are refused from now on (open ones are cut). */
    shut() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
    open() {
      return new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => (server.listening ? server.close(() => r()) : r()));
    },
  };
}
