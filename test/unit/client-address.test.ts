import { describe, expect, it } from 'vitest';
import { clientKey } from '../../server/http/client-address.ts';

describe('the client every per-client limit counts', () => {
  it("is an IPv6 address's /64, whatever address of it is used and however it is spelled", () => {
    expect(clientKey('2001:db8:1:2::1f')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:DB8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0db8:0001:0002:0000:0000:0000:0001')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
  });

  it('is the IPv4 address itself, also when a dual-stack socket reports it IPv4-mapped', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('keeps what does not parse as it came, so it is still counted as itself', () => {
    expect(clientKey('unknown')).toBe('unknown');
    expect(clientKey('203.0.113.7:4711')).toBe('203.0.113.7:4711');
  });
});
