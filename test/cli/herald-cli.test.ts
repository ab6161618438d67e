import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTokens, auditLog, users } from '../../db/schema/index.ts';
import { login } from '../../server/domain/auth/sessions.ts';
import { api } from '../helpers/api.ts';
import { registerChild } from '../helpers/children.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';

const bin = path.resolve('bin/herald.mjs');

function herald(
  t: TestContext,
  args: string[],
  stdin = '',
  node = process.execPath,
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [bin, ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: t.dbUrl,
        PUBLIC_URL: 'https://status.example.com',
        LOG_LEVEL: 'silent',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    registerChild(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
    child.stdin.end(stdin);
  });
}

// Each call starts a Node process that loads the whole server code: give it time on a busy CI.
describe('npx herald', { timeout: 120_000 }, () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(() => t.close());

  it('adds an admin with the password from stdin, audited as the command line, who can then sign in', async () => {
    const r = await herald(
      t,
      ['user', 'add', '--email', 'Boss@Example.com', '--role', 'admin'],
      'a long password\n',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Created admin boss@example.com');
    const [u] = await t.deps.db.select().from(users).where(eq(users.email, 'boss@example.com'));
    expect(u!.passwordHash).toMatch(/^scrypt\$/);
    const [audit] = await t.deps.db.select().from(auditLog).where(eq(auditLog.objectId, u!.id));
    expect(audit).toMatchObject({ actorType: 'cli', action: 'user.create' });
    expect(JSON.stringify(audit!.after)).not.toContain('scrypt');
    await expect(
      login(t.deps, {
        email: 'boss@example.com',
        password: 'a long password',
        address: 'cli-test',
      }),
    ).resolves.toMatchObject({ userId: u!.id });
  });

  it('refuses a password on the command line', async () => {
    const r = await herald(t, [
      'user',
      'add',
      '--email',
      'x@example.com',
      '--role',
      'admin',
      '--password',
      'a long password',
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/never taken from the command line/);
    expect(
      await t.deps.db.select().from(users).where(eq(users.email, 'x@example.com')),
    ).toHaveLength(0);
  });

  it('says what is wrong with a short password or a bad role', async () => {
    // Independent refusals: the two commands run side by side.
    const [short, role] = await Promise.all([
      herald(t, ['user', 'add', '--email', 'y@example.com', '--role', 'admin'], 'short\n'),
      herald(t, ['user', 'add', '--email', 'y@example.com', '--role', 'boss'], 'a long password\n'),
    ]);
    expect(short.code).toBe(1);
    expect(short.err).toMatch(/password: must be at least 10 characters/);
    expect(role.err).toMatch(/role: must be admin, responder or viewer/);
  });

  it('lists users and resets a password, ending their sessions', async () => {
    // The list reads the user whichever of the two commands finishes first.
    const [list, r] = await Promise.all([
      herald(t, ['user', 'list']),
      herald(
        t,
        ['user', 'reset-password', '--email', 'boss@example.com'],
        'another long password\n',
      ),
    ]);
    expect(list.out).toMatch(/boss@example\.com\s+admin/);
    expect(r.code).toBe(0);
    await expect(
      login(t.deps, {
        email: 'boss@example.com',
        password: 'a long password',
        address: 'cli-test-2',
      }),
    ).rejects.toThrow(/Wrong email or password/);
    await expect(
      login(t.deps, {
        email: 'boss@example.com',
        password: 'another long password',
        address: 'cli-test-2',
      }),
    ).resolves.toBeTruthy();
  });

  it('creates a token printed once, lists it without the secret, and revokes it', async () => {
    const created = await herald(t, [
      'token',
      'create',
      '--name',
      'deploy bot',
      '--role',
      'responder',
    ]);
    expect(created.code).toBe(0);
    const secret = /(hrld_\S+)/.exec(created.out)![1]!;
    expect((await api(t, secret).get('/api/admin/me')).status).toBe(200);
    const [row] = await t.deps.db.select().from(apiTokens).where(eq(apiTokens.name, 'deploy bot'));
    // The list shows revoked tokens too: it reads the token whichever command finishes first.
    const [list, revoked] = await Promise.all([
      herald(t, ['token', 'list']),
      herald(t, ['token', 'revoke', '--id', row!.id]),
    ]);
    expect(list.out).toContain('deploy bot');
    expect(list.out).not.toContain(secret);
    expect(revoked.code).toBe(0);
    expect((await api(t, secret).get('/api/admin/me')).status).toBe(401);
    const audit = await t.deps.db.select().from(auditLog).where(eq(auditLog.objectId, row!.id));
    expect(audit.map((a) => [a.actorType, a.action]).sort()).toEqual([
      ['cli', 'token.create'],
      ['cli', 'token.revoke'],
    ]);
  });

  it('creates an intake token that posts alerts and opens nothing else', async () => {
    const [created, bad] = await Promise.all([
      herald(t, ['token', 'create', '--name', 'alertmanager', '--role', 'intake']),
      herald(t, ['token', 'create', '--name', 'x', '--role', 'root']),
    ]);
    expect(created.code).toBe(0);
    expect(created.out).toContain('Created intake token "alertmanager"');
    const secret = /(hrld_\S+)/.exec(created.out)![1]!;
    expect((await api(t, secret).get('/api/admin/me')).status).toBe(403);
    const posted = await api(t, secret).post('/api/intake/generic', {
      key: 'cli-made',
      status: 'firing',
      title: 'From a CLI-made token',
    });
    expect(posted.status).toBe(202);
    expect(bad.code).not.toBe(0);
    expect(bad.out + bad.err).toContain('must be admin, responder, viewer or intake');
  });

  it('switches emergency maintenance on and off, audited as the command line, as the API does', async () => {
    const [missing, badTime] = await Promise.all([
      herald(t, ['maintenance', 'on']),
      herald(t, ['maintenance', 'on', '--message', 'Database upgrade', '--until', 'tomorrow-ish']),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('--message is required');
    expect(badTime.code).toBe(1);
    expect(badTime.err).toMatch(/until: /);
    expect((await t.deps.reader.maintenanceSwitch()).active).toBe(false);

    const on = await herald(t, [
      'maintenance',
      'on',
      '--message',
      'Database upgrade',
      '--until',
      '2030-01-01T12:00:00Z',
    ]);
    expect(on.code).toBe(0);
    expect(on.out).toContain(
      'Maintenance is on: Database upgrade (until 2030-01-01T12:00:00.000Z)',
    );
    expect(await t.deps.reader.maintenanceSwitch()).toMatchObject({
      active: true,
      message: 'Database upgrade',
    });
    const off = await herald(t, ['maintenance', 'off']);
    expect(off.code).toBe(0);
    expect(off.out).toContain('Maintenance is off.');
    expect((await t.deps.reader.maintenanceSwitch()).active).toBe(false);
    const audit = await t.deps.db.select().from(auditLog).where(eq(auditLog.actorType, 'cli'));
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['maintenance_switch.on', 'maintenance_switch.off']),
    );
  });

  it('offers every admin operation that declares a command, with its flags, in the usage', async () => {
    const r = await herald(t, ['help']);
    expect(r.code).toBe(0);
    for (const line of [
      'user list',
      'token list',
      'token create --name NAME --role admin|responder|viewer|intake',
      'token revoke --id ID',
      'maintenance on --message TEXT [--until ISO-TIME]',
      'maintenance off',
    ])
      expect(r.out).toContain(`  ${line}`);
  });

  it.runIf(existsSync('/usr/bin/node'))(
    'runs under the machine’s older node by re-running itself on the pinned Node 24',
    async () => {
      const r = await herald(t, ['user', 'list'], '', '/usr/bin/node');
      expect(r.code).toBe(0);
      expect(r.out).toContain('boss@example.com');
    },
  );

  it('prints usage and fails for an unknown command', async () => {
    const r = await herald(t, ['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Usage: npx herald');
  });
});
