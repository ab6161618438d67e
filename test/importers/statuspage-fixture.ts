// A Statuspage page as its public v2 JSON and its management API (v1) document it: the shapes
// of test/fixtures and shared/statuspage-compat.md, ids of 12 base-36 characters, timestamps
// with the page's offset, newest first, and the odd text real pages carry.

const PAGE_ID = 'srhpyqt94yxb';
const id = (prefix: string, n: number) =>
  `${prefix}${n.toString(36).padStart(12 - prefix.length, '0')}`;
const at = (base: number, minutes: number) =>
  new Date(base + minutes * 60_000)
    .toISOString()
    .replace('Z', '-07:00')
    .replace(/\.\d{3}-/, '.000-');

export const ODD_NAME = 'Zahlungen & "Checkout" <b>EU</b> — 決済 💳';

export interface StatuspageSource {
  pageId: string;
  page: Record<string, unknown>;
  components: Record<string, unknown>[];
  incidents: Record<string, unknown>[];
  maintenances: Record<string, unknown>[];
  subscribers: { active: unknown[]; unconfirmed: unknown[]; quarantined: unknown[] };
  templates: unknown[];
}

export function statuspageSource(opts: {
  incidents: number;
  subscribers: number;
}): StatuspageSource {
  const base = Date.UTC(2024, 0, 1);
  const page = {
    id: PAGE_ID,
    name: 'Acme Old',
    url: 'https://acme.statuspage.io',
    time_zone: 'America/Los_Angeles',
    updated_at: at(base, 0),
  };
  const component = (n: number, name: string, extra: Record<string, unknown>) => ({
    id: id('c', n),
    name,
    status: 'operational',
    created_at: at(base, n),
    updated_at: at(base, n),
    position: n,
    description: null,
    showcase: true,
    start_date: '2024-01-01',
    group_id: null,
    page_id: PAGE_ID,
    group: false,
    only_show_if_degraded: false,
    ...extra,
  });
  const components = [
    component(1, 'API', { status: 'degraded_performance' }),
    component(2, 'Payments', { group: true, components: [id('c', 3), id('c', 4)] }),
    component(3, ODD_NAME, { group_id: id('c', 2) }),
    component(4, 'Payouts', { group_id: id('c', 2), description: 'Money out\nto merchants' }),
    component(5, 'Dashboard', { only_show_if_degraded: true }),
  ];
  const compRef = (n: number, status: string) => ({ ...components[n - 1]!, status });
  const impacts = ['critical', 'major', 'minor', 'none'];
  const incidents = [];
  for (let i = 1; i <= opts.incidents; i++) {
    const start = i * 600;
    const iid = id('i', i);
    const open = i === opts.incidents;
    const upd = (k: number, status: string, body: string) => ({
      id: id(`u${k}`, i),
      status,
      body,
      incident_id: iid,
      created_at: at(base, start + k * 10),
      updated_at: at(base, start + k * 10),
      display_at: at(base, start + k * 10),
      affected_components: null,
      deliver_notifications: true,
      custom_tweet: null,
      tweet_id: null,
    });
    const updates = open
      ? [upd(1, 'investigating', 'We are investigating elevated API errors.')]
      : [
          upd(
            1,
            'investigating',
            i === 1 ? `Ümlauts, quotes "here" & <script>alert(1)</script>` : `Investigating #${i}.`,
          ),
          upd(2, 'identified', ''),
          upd(3, i % 7 === 0 ? 'postmortem' : 'resolved', 'This incident has been resolved.'),
        ];
    incidents.push({
      id: iid,
      name: i === 2 ? ODD_NAME : `Incident ${i}`,
      status: open ? 'investigating' : i % 7 === 0 ? 'postmortem' : 'resolved',
      impact: impacts[i % 4],
      created_at: at(base, start),
      updated_at: at(base, start + 30),
      started_at: at(base, start),
      monitoring_at: null,
      resolved_at: open ? null : at(base, start + 30),
      shortlink: `https://stspg.io/${iid}`,
      page_id: PAGE_ID,
      scheduled_for: null,
      scheduled_until: null,
      incident_updates: updates.reverse(),
      components: i % 3 === 0 ? [compRef(1, 'partial_outage')] : [],
      impact_override: null,
      metadata: i === 3 ? { herald: { priority: 0 } } : {},
    });
  }
  incidents.reverse();
  const maint = (n: number, status: string, startMin: number) => ({
    id: id('m', n),
    name: `Database upgrade ${n}`,
    status,
    impact: 'maintenance',
    created_at: at(base, startMin - 1000),
    updated_at: at(base, startMin),
    started_at: at(base, startMin - 1000),
    monitoring_at: null,
    resolved_at: status === 'completed' ? at(base, startMin + 60) : null,
    shortlink: `https://stspg.io/${id('m', n)}`,
    page_id: PAGE_ID,
    scheduled_for: at(base, startMin),
    scheduled_until: at(base, startMin + 60),
    incident_updates: [
      {
        id: id('mu', n),
        status: 'scheduled',
        body: 'We will upgrade the primary database.',
        incident_id: id('m', n),
        created_at: at(base, startMin - 1000),
        updated_at: at(base, startMin - 1000),
        display_at: at(base, startMin - 1000),
        affected_components: null,
        deliver_notifications: true,
        custom_tweet: null,
        tweet_id: null,
      },
    ],
    components: [compRef(1, 'operational')],
  });
  const maintenances = [maint(2, 'scheduled', 60 * 24 * 365 * 5), maint(1, 'completed', 1000)];
  const subscriber = (n: number, extra: Record<string, unknown> = {}) => ({
    id: id('s', n),
    skip_confirmation_notification: false,
    mode: 'email',
    email: `person${n}@example.org`,
    endpoint: null,
    phone_number: null,
    phone_country: null,
    display_phone_number: null,
    obfuscated_channel_name: null,
    workspace_name: null,
    quarantined_at: null,
    purge_at: null,
    components: n % 2 ? [id('c', 1)] : components.filter((c) => !c.group).map((c) => c.id),
    page_access_user_id: null,
    created_at: at(base, n),
    ...extra,
  });
  const active = [];
  for (let n = 1; n <= opts.subscribers; n++) active.push(subscriber(n));
  return {
    pageId: PAGE_ID,
    page,
    components,
    incidents,
    maintenances,
    subscribers: {
      active: [
        ...active,
        subscriber(opts.subscribers + 1, {
          mode: 'sms',
          email: null,
          phone_number: '+15555550100',
        }),
      ],
      unconfirmed: [subscriber(opts.subscribers + 2, { email: 'waiting@example.org' })],
      quarantined: [
        subscriber(opts.subscribers + 3, {
          email: 'bounced@example.org',
          quarantined_at: at(base, 5),
        }),
      ],
    },
    templates: [{ id: 't1', name: 'Database failover', title: 'Database failover', body: '…' }],
  };
}

const pageOf = <T>(list: T[], url: URL, per = 100) => {
  const n = Number(url.searchParams.get('page') ?? '1');
  const size = Number(url.searchParams.get('per_page') ?? String(per));
  return list.slice((n - 1) * size, n * size);
};

/** Answers like statuspage.io (v2 at the page URL) and api.statuspage.io (/v1) would. */
export function statuspageRoutes(
  src: StatuspageSource,
  key: string,
  opts: { v2Pages?: boolean } = {},
) {
  return (url: URL, req: { headers: Record<string, string | string[] | undefined> }) => {
    const p = url.pathname;
    const v2Page = (list: unknown[]) => {
      // Statuspage shows the 50 most recent; this source also pages them (?page=2, ...).
      const n = opts.v2Pages ? Number(url.searchParams.get('page') ?? '1') : 1;
      return list.slice((n - 1) * 50, n * 50);
    };
    if (p === '/api/v2/components.json')
      return { body: { page: src.page, components: src.components } };
    if (p === '/api/v2/incidents.json')
      return { body: { page: src.page, incidents: v2Page(src.incidents) } };
    if (p === '/api/v2/scheduled-maintenances.json')
      return { body: { page: src.page, scheduled_maintenances: src.maintenances } };
    if (!p.startsWith(`/v1/pages/${src.pageId}/`)) return null;
    if (req.headers.authorization !== `OAuth ${key}`)
      return { status: 401, body: { error: 'Could not authenticate' } };
    const rest = p.slice(`/v1/pages/${src.pageId}/`.length);
    if (rest === 'incidents') return { body: pageOf([...src.incidents, ...src.maintenances], url) };
    if (rest === 'subscribers') {
      const state = (url.searchParams.get('state') ??
        'active') as keyof StatuspageSource['subscribers'];
      return { body: pageOf(src.subscribers[state] ?? [], url) };
    }
    if (rest === 'incident_templates') return { body: pageOf(src.templates, url) };
    return null;
  };
}
