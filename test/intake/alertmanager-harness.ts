import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { registerChild } from '../helpers/children.ts';
import { freePort } from '../edge/edge-harness.ts';
import { until } from './helpers.ts';

export const alertmanagerBin = process.env.ALERTMANAGER_PATH ?? '/usr/bin/prometheus-alertmanager';

export interface Alertmanager {
  url: string;
  /** POST /api/v2/alerts, as Prometheus does. */
  fire(alerts: AmAlert[]): Promise<void>;
  output(): string;
  stop(): Promise<void>;
}

export interface AmAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

/**
 * Debian's Prometheus Alertmanager on a free loopback port, with one webhook receiver pointed
 * at Herald's intake (bearer token, send_resolved) and short group timers so a test sees its
 * notifications in seconds. Clustering is off: one instance, no gossip port.
 */
export async function startAlertmanager(opts: {
  webhookUrl: string;
  token: string;
  groupBy: string[];
}): Promise<Alertmanager> {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-alertmanager-'));
  const port = await freePort();
  const config = [
    'route:',
    '  receiver: herald',
    `  group_by: [${opts.groupBy.map((l) => JSON.stringify(l)).join(', ')}]`,
    // Alertmanager's own timers, shortened: it flushes a group every group_interval and repeats
    // an unchanged one once repeat_interval has passed, so a repeat arrives within a second.
    '  group_wait: 100ms',
    '  group_interval: 250ms',
    '  repeat_interval: 500ms',
    'receivers:',
    '  - name: herald',
    '    webhook_configs:',
    `      - url: ${JSON.stringify(opts.webhookUrl)}`,
    '        send_resolved: true',
    '        http_config:',
    '          authorization:',
    '            type: Bearer',
    `            credentials: ${JSON.stringify(opts.token)}`,
    '',
  ].join('\n');
  writeFileSync(path.join(dir, 'alertmanager.yml'), config);
  const child: ChildProcess = spawn(
    alertmanagerBin,
    [
      `--config.file=${path.join(dir, 'alertmanager.yml')}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  registerChild(child);
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(
      `Alertmanager to be ready:\n${out}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`alertmanager exited:\n${out}`);
        return fetch(`${url}/-/ready`).then(
          (r) => r.ok,
          () => false,
        );
      },
      30_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    output: () => out,
    async fire(alerts) {
      const res = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
      });
      if (!res.ok)
        throw new Error(`Alertmanager refused the alerts: ${res.status} ${await res.text()}`);
    },
    stop,
  };
}
