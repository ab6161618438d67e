import { describe, expect, it } from 'vitest';
import {
  type AudienceAwareList,
  type ListAudience,
  listReading,
  listTakesMaintenance,
  mayStillRead,
  postmortemUrlFor,
} from '../../server/domain/lists/list-reading.ts';

// The one rule that says which lists hear of an incident and what they read.

const now = new Date('2026-12-06T12:00:00Z');
function list(over: Partial<AudienceAwareList> = {}): AudienceAwareList {
  return {
    id: 'l1',
    slug: 'l1',
    name: 'List',
    description: '',
    isInternal: false,
    subjectsInEnglish: false,
    allowedDomains: '',
    priorities: '0,1',
    isDrill: false,
    audienceId: null,
    subjectUpdate: null,
    subjectResolved: null,
    createdAt: now,
    updatedAt: now,
    audience: null,
    ...over,
  };
}
const acme: ListAudience = {
  id: 'a1',
  slug: 'acme',
  name: 'Acme',
  memberDomains: ['acme.com'],
  memberEmails: ['cto@acme-holding.com'],
  everyoneSignedIn: false,
  seesInternal: false,
  sees: new Set(['checkout', 'payments-group']),
};
const p0 = { priority: 0, isDrill: false, componentIds: ['checkout'] };

describe('listReading', () => {
  it('gives public lists the public text and internal lists the internal text with the record', () => {
    expect(listReading(list(), p0)).toEqual({ audienceId: null, internal: 'none' });
    expect(listReading(list({ isInternal: true }), p0)).toEqual({
      audienceId: null,
      internal: 'record',
    });
  });

  it("gives an audience's list its audience's text, and the internal note only if it sees internal text", () => {
    const l = list({ audienceId: 'a1', audience: acme });
    expect(listReading(l, p0)).toEqual({ audienceId: 'a1', internal: 'none' });
    const staff = list({ audienceId: 'a1', audience: { ...acme, seesInternal: true } });
    expect(listReading(staff, p0)).toEqual({ audienceId: 'a1', internal: 'notes' });
  });

  it("leaves out an audience's list for an incident on none of its components, not one naming none", () => {
    const l = list({ audienceId: 'a1', audience: acme });
    expect(listReading(l, { ...p0, componentIds: ['billing'] })).toBeNull();
    expect(listReading(l, { ...p0, componentIds: ['billing', 'payments-group'] })).not.toBeNull();
    expect(listReading(l, { ...p0, componentIds: [] })).not.toBeNull();
    // An audience that sees every component hears of everything its priorities take.
    const all = list({ audienceId: 'a1', audience: { ...acme, sees: null } });
    expect(listReading(all, { ...p0, componentIds: ['billing'] })).not.toBeNull();
  });

  it('gives an incident for chosen audiences to their lists and staff lists, never to a public list', () => {
    const only = { ...p0, audienceOnly: true, chosenAudienceIds: ['a1'] };
    expect(listReading(list(), only)).toBeNull();
    expect(listReading(list({ isInternal: true }), only)).toEqual({
      audienceId: null,
      internal: 'record',
    });
    expect(listReading(list({ audienceId: 'a1', audience: acme }), only)).toEqual({
      audienceId: 'a1',
      internal: 'none',
    });
    const other = { ...acme, id: 'a2', slug: 'globex' };
    expect(listReading(list({ audienceId: 'a2', audience: other }), only)).toBeNull();
    const staff = { ...other, seesInternal: true };
    expect(listReading(list({ audienceId: 'a2', audience: staff }), only)).toEqual({
      audienceId: 'a2',
      internal: 'notes',
    });
  });

  it('keeps drills to drill lists and a list to its priorities; a list given none receives nothing', () => {
    expect(listReading(list(), { ...p0, isDrill: true })).toBeNull();
    expect(listReading(list({ isDrill: true, priorities: '0,1,2,3' }), p0)).toBeNull();
    expect(listReading(list(), { ...p0, priority: 2 })).toBeNull();
    expect(listReading(list({ priorities: '' }), p0)).toBeNull();
  });

  it("sends maintenance to an audience's list only for a window on what it sees", () => {
    const l = list({ audienceId: 'a1', audience: acme });
    expect(listTakesMaintenance(l, ['billing'])).toBe(false);
    expect(listTakesMaintenance(l, ['checkout'])).toBe(true);
    expect(listTakesMaintenance(l, [])).toBe(true);
    expect(listTakesMaintenance(list({ isDrill: true }), [])).toBe(false);
  });
});

describe('mayStillRead', () => {
  it('lets any address read an ordinary list and only members read an audience list', () => {
    const l = list({ audienceId: 'a1', audience: acme });
    const via = (email: string, viaCompanyIdp = false) => ({ email, viaCompanyIdp });
    expect(mayStillRead(list(), via('anyone@example.org'))).toBe(true);
    expect(mayStillRead(l, via('ops@acme.com'))).toBe(true);
    expect(mayStillRead(l, via('CTO@acme-holding.com'))).toBe(true);
    expect(mayStillRead(l, via('ops@acme.com.evil.example'))).toBe(false);
    expect(mayStillRead(l, via('someone@example.org', true))).toBe(false);
    const company = list({ audienceId: 'a1', audience: { ...acme, everyoneSignedIn: true } });
    expect(mayStillRead(company, via('someone@example.org', true))).toBe(true);
    expect(mayStillRead(company, via('someone@example.org', false))).toBe(false);
  });
});

describe('postmortemUrlFor', () => {
  const page = 'https://status.example.com';
  it('leads each reader to a post-mortem they can open', () => {
    const staff = list({ isInternal: true });
    const customers = list({ audienceId: 'a1', audience: acme });
    expect(postmortemUrlFor(page, list({}), { id: 'i1', audienceOnly: false })).toBe(
      `${page}/incidents/i1#postmortem`,
    );
    expect(postmortemUrlFor(page, staff, { id: 'i1', audienceOnly: false })).toBe(
      `${page}/incidents/i1#postmortem`,
    );
    // For chosen audiences only: the public page is a 404; staff read it in the admin.
    expect(postmortemUrlFor(page, staff, { id: 'i1', audienceOnly: true })).toBe(
      `${page}/admin/incidents/i1/postmortem`,
    );
    expect(postmortemUrlFor(page, customers, { id: 'i1', audienceOnly: true })).toBe(
      `${page}/a/${acme.slug}/incidents/i1#postmortem`,
    );
  });
});
