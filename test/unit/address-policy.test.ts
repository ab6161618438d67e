import { describe, expect, it } from 'vitest';
import { assertWebhookUrl, isPrivateAddress } from '../../server/domain/webhooks/address-policy.ts';

describe('the webhook address policy decides on the IPv4 address an IPv6 form carries', () => {
  it('refuses IPv6 forms that carry a private or metadata IPv4 address', () => {
    const refused = [
      '64:ff9b::a9fe:a9fe', // NAT64: 169.254.169.254
      '64:ff9b::7f00:1', // NAT64: 127.0.0.1
      '64:ff9b::a00:1', // NAT64: 10.0.0.1
      '64:ff9b:1::a9fe:a9fe', // local-use NAT64
      '2002:a9fe:a9fe::', // 6to4 of 169.254.169.254
      '2002:7f00:1::1', // 6to4 of 127.0.0.1
      '2002:c0a8:101::', // 6to4 of 192.168.1.1
      '::a9fe:a9fe', // IPv4-compatible
      '::127.0.0.1',
      '::ffff:169.254.169.254', // mapped
      '::ffff:7f00:1',
      '::ffff:0:a9fe:a9fe', // SIIT
      '::ffff:0:10.0.0.1',
      'fec0::1', // site-local
      'fec0:1:2:3::4',
      '2001:0:4136:e378:8000:63bf:3fff:fdd2', // Teredo hides its client
      '::',
      '::1',
      '::2',
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      'ff02::1',
      '2001:db8::1',
      '100::1',
    ];
    const refusedV4 = [
      '0.0.0.0',
      '10.1.2.3',
      '100.64.0.1',
      '127.0.0.1',
      '169.254.169.254',
      '172.16.0.1',
      '192.0.0.8',
      '192.168.0.1',
      '198.18.0.1',
      '224.0.0.1',
      '240.0.0.1',
      '255.255.255.255',
    ];
    for (const ip of [...refused, ...refusedV4])
      expect([ip, isPrivateAddress(ip)]).toEqual([ip, true]);
    expect(isPrivateAddress('not an address')).toBe(true);
  });

  it('accepts public unicast addresses, also inside NAT64, 6to4 and mapped forms', () => {
    for (const ip of [
      '93.184.216.34',
      '1.1.1.1',
      '2606:4700:4700::1111',
      '2a00:1450:4001:80b::200e',
      '64:ff9b::5db8:d822', // NAT64 of 93.184.216.34
      '2002:5db8:d822::1', // 6to4 of 93.184.216.34
      '::ffff:93.184.216.34',
    ])
      expect([ip, isPrivateAddress(ip)]).toEqual([ip, false]);
  });

  it('refuses the URL http://[64:ff9b::a9fe:a9fe]/ and its kin when a webhook is added', async () => {
    for (const url of [
      'http://[64:ff9b::a9fe:a9fe]/',
      'http://[2002:a9fe:a9fe::]/hook',
      'http://[::ffff:0:a9fe:a9fe]/',
      'http://[::a9fe:a9fe]/',
      'http://[fec0::1]/',
      'http://2852039166/', // 169.254.169.254 as one number
    ])
      await expect(assertWebhookUrl(url, false), url).rejects.toThrow(/loopback or private/);
    // Allowed for a webhook an admin marked as internal.
    expect((await assertWebhookUrl('http://[64:ff9b::a9fe:a9fe]/', true)).hostname).toBe(
      '[64:ff9b::a9fe:a9fe]',
    );
    expect((await assertWebhookUrl('http://[64:ff9b::5db8:d822]/', false)).protocol).toBe('http:');
  });
});
