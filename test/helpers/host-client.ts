import http from 'node:http';

/**
 * A browser on one host name: every request goes to Herald's loopback port with `Host` set to
 * that name (fetch does not let a test choose Host), keeps the cookies that host was given and
 * the form token of the last form it was shown, sends forms with that host's Origin and never
 * follows redirects.
 */
export class HostClient {
  cookies = new Map<string, string>();
  csrf = '';
  readonly server: string;
  readonly host: string;
  constructor(server: string, host: string) {
    this.server = server;
    this.host = host;
  }

  private request(method: string, path: string, body?: string) {
    const u = new URL(this.server);
    const headers: Record<string, string> = {
      host: this.host,
      cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
    };
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(body));
      headers.origin = `http://${this.host}`;
    }
    return new Promise<{ status: number; headers: http.IncomingHttpHeaders; html: string }>(
      (resolve, reject) => {
        const req = http.request(
          { host: u.hostname, port: u.port, path, method, headers },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              for (const c of res.headers['set-cookie'] ?? []) {
                const [pair] = c.split(';');
                const i = pair!.indexOf('=');
                if (/Max-Age=0/i.test(c)) this.cookies.delete(pair!.slice(0, i));
                else this.cookies.set(pair!.slice(0, i), pair!.slice(i + 1));
              }
              const html = Buffer.concat(chunks).toString('utf8');
              const m = /name="_csrf" value="([^"]*)"/.exec(html);
              if (m) this.csrf = m[1]!;
              resolve({ status: res.statusCode!, headers: res.headers, html });
            });
          },
        );
        req.on('error', reject);
        req.end(body);
      },
    );
  }

  get(path: string) {
    return this.request('GET', path);
  }

  post(path: string, fields: Record<string, string>) {
    const body = new URLSearchParams({ _csrf: this.csrf, ...fields }).toString();
    return this.request('POST', path, body);
  }
}
