import type { ManagedEntry } from '../../domain/status/read-management.ts';
import type { SubscriberRow } from '../../domain/subscribers/read-subscriber-page.ts';
import type {
  ComponentJson,
  IncidentJson,
  MaintenanceJson,
  PageJson,
} from '../../domain/status/statuspage-json.ts';

// Statuspage's v1 objects: the v2 objects Herald already serves, plus the fields only the
// management API carries. Fields Herald has no counterpart for are present with Statuspage's
// "off" value (null or false), never omitted: typed clients expect every key.

export function pageV1(p: PageJson) {
  return {
    id: p.id,
    created_at: p.updated_at,
    updated_at: p.updated_at,
    name: p.name,
    page_description: null,
    headline: null,
    branding: 'basic',
    subdomain: null,
    domain: new URL(p.url).host,
    url: p.url,
    support_url: null,
    hidden_from_search: false,
    allow_page_subscribers: true,
    allow_incident_subscribers: true,
    allow_email_subscribers: true,
    allow_sms_subscribers: false,
    allow_rss_atom_feeds: true,
    allow_webhook_subscribers: true,
    notifications_from_email: null,
    notifications_email_footer: null,
    activity_score: 0,
    twitter_username: null,
    viewers_must_be_team_members: false,
    ip_restrictions: null,
    city: null,
    state: null,
    country: null,
    time_zone: p.time_zone,
    css_body_background_color: null,
    css_font_color: null,
    css_light_font_color: null,
    css_greens: null,
    css_yellows: null,
    css_oranges: null,
    css_blues: null,
    css_reds: null,
    css_border_color: null,
    css_graph_color: null,
    css_link_color: null,
    css_no_data: null,
    favicon_logo: null,
    transactional_logo: null,
    hero_cover: null,
    email_logo: null,
    twitter_logo: null,
  };
}

export function componentV1(c: ComponentJson) {
  const { components: _children, ...rest } = c;
  return { ...rest, automation_email: null };
}

export function componentGroupV1(g: ComponentJson) {
  return {
    id: g.id,
    page_id: g.page_id,
    name: g.name,
    description: g.description,
    components: g.components ?? [],
    position: g.position,
    created_at: g.created_at,
    updated_at: g.updated_at,
  };
}

const isMaintenance = (e: IncidentJson | MaintenanceJson): e is MaintenanceJson =>
  e.kind === 'maintenance';

/** Staff read the management API: the internal priority is theirs (`priority`, metadata). */
export function incidentV1(e: ManagedEntry) {
  const m = isMaintenance(e) ? e : null;
  return {
    ...e,
    impact_override: null,
    metadata: e.priority === null ? {} : { herald: { priority: e.priority } },
    postmortem_ignored: false,
    postmortem_notified_subscribers: false,
    postmortem_notified_twitter: false,
    scheduled_for: m?.scheduled_for ?? null,
    scheduled_until: m?.scheduled_until ?? null,
    scheduled_remind_prior: false,
    scheduled_reminded_at: null,
    scheduled_auto_in_progress: false,
    scheduled_auto_completed: false,
    auto_transition_deliver_notifications_at_end: false,
    auto_transition_deliver_notifications_at_start: false,
    auto_transition_to_maintenance_state: false,
    auto_transition_to_operational_state: false,
    auto_tweet_at_beginning: false,
    auto_tweet_on_completion: false,
    auto_tweet_on_creation: false,
    auto_tweet_one_hour_before: false,
    backfill_date: null,
    backfilled: false,
    reminder_intervals: null,
  };
}

export function subscriberV1(s: SubscriberRow, allComponentIds: readonly string[]) {
  return {
    id: s.id,
    skip_confirmation_notification: s.source !== 'form',
    mode: 'email',
    email: s.email,
    endpoint: null,
    phone_number: null,
    phone_country: null,
    display_phone_number: null,
    obfuscated_channel_name: null,
    workspace_name: null,
    quarantined_at: null,
    purge_at: null,
    components: s.componentIds ?? [...allComponentIds],
    page_access_user_id: null,
    created_at: s.createdAt.toISOString(),
    state: s.state,
  };
}
