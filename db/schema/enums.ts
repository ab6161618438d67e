// Status vocabularies shared by the schema, the domain and the public API. They follow the
// conventions every Statuspage client knows, so existing widgets and monitors read them as-is.
export const componentStatuses = [
  'operational',
  'degraded_performance',
  'partial_outage',
  'major_outage',
  'under_maintenance',
] as const;
export type ComponentStatus = (typeof componentStatuses)[number];

export const incidentStatuses = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export type IncidentStatus = (typeof incidentStatuses)[number];

/** A window's steps as Statuspage clients know them (imports and /v1 take only these). */
export const maintenanceStatuses = ['scheduled', 'in_progress', 'verifying', 'completed'] as const;
export type MaintenanceStatus = (typeof maintenanceStatuses)[number];

/**
 * Where a window stands: one of the Statuspage steps, or `cancelled` (called off before it
 * started; it never starts, and lists of windows leave it out).
 */
export const maintenanceStates = [...maintenanceStatuses, 'cancelled'] as const;
export type MaintenanceState = (typeof maintenanceStates)[number];

export const impacts = ['none', 'minor', 'major', 'critical'] as const;
export type Impact = (typeof impacts)[number];

export const priorities = [0, 1, 2, 3] as const;
export type Priority = (typeof priorities)[number];

/** Lifecycle of an incident update: written now, maybe scheduled, then published once. */
export const updateStates = ['scheduled', 'published', 'cancelled'] as const;
export type UpdateState = (typeof updateStates)[number];

/** viewer: reads the internal view, notes, runbooks and reports; may file reports; changes nothing else. */
export const userRoles = ['admin', 'responder', 'viewer'] as const;
export type UserRole = (typeof userRoles)[number];

/**
 * What an API token may act as: a user's role, or `intake`, which posts alerts to /api/intake/*
 * and nothing else (monitoring systems hold these, so they must not reach the admin API).
 */
export const tokenRoles = [...userRoles, 'intake'] as const;
export type TokenRole = (typeof tokenRoles)[number];

/** Where an alert came from: one intake endpoint each. */
export const alertSources = ['alertmanager', 'grafana', 'datadog', 'pagerduty', 'generic'] as const;
export type AlertSource = (typeof alertSources)[number];

/** The component statuses a routing rule may set while its alert fires. */
export const alertRuleStatuses = [
  'degraded_performance',
  'partial_outage',
  'major_outage',
] as const;
export type AlertRuleStatus = (typeof alertRuleStatuses)[number];

export const subscriberStates = ['pending', 'confirmed', 'unsubscribed'] as const;
export type SubscriberState = (typeof subscriberStates)[number];

export const deliveryStates = ['pending', 'sending', 'sent', 'failed', 'skipped'] as const;
export type DeliveryState = (typeof deliveryStates)[number];

/** A queued edge purge: waiting to be sent (or retried), or refused by the edge (4xx). */
export const edgePurgeStates = ['pending', 'rejected'] as const;
export type EdgePurgeState = (typeof edgePurgeStates)[number];
/** What a webhook or chat channel is: a plain signed webhook, or a chat tool's incoming webhook. */
export const webhookKinds = ['webhook', 'slack', 'teams', 'discord'] as const;
export type WebhookKind = (typeof webhookKinds)[number];

export const webhookEvents = [
  'incident.created',
  'incident.updated',
  'incident.resolved',
  'component.updated',
  /** A maintenance window scheduled, started, extended or completed. */
  'maintenance',
  /** The emergency maintenance switch went on (or changed) or off. */
  'maintenance.switch',
] as const;
export type WebhookEvent = (typeof webhookEvents)[number];

export const webhookStates = ['active', 'paused'] as const;
export type WebhookState = (typeof webhookStates)[number];

/** A background CSV import: running until its last chunk, or stopped by a shutdown or a fault. */
export const subscriberImportStates = ['running', 'done', 'failed', 'interrupted'] as const;
export type SubscriberImportState = (typeof subscriberImportStates)[number];

/** The kinds of object another status page's import maps to Herald rows. */
export const importKinds = ['component', 'incident', 'maintenance'] as const;
export type ImportKind = (typeof importKinds)[number];

/** How a browser session was opened: a local password (or first-admin setup), or the company's OpenID Connect provider. */
export const signInMethods = ['password', 'oidc'] as const;
export type SignInMethod = (typeof signInMethods)[number];

/**
 * How a reader of an audience page proved their address: an emailed one-time link; the company's
 * OpenID Connect provider as one of the company's people (`oidc`: an address in the company
 * domains, or a group the role map names), which counts for "everyone signed in through the
 * company"; or the provider for anyone else (`oidc_outside`: a verified address, nothing more,
 * since a provider such as Google vouches for people who are not the company's).
 */
export const readerSignInMethods = ['email', 'oidc', 'oidc_outside'] as const;
export type ReaderSignInMethod = (typeof readerSignInMethods)[number];

/** What an OpenID Connect sign-in is for: the admin (staff) or an audience page (reader). */
export const oidcSignInPurposes = ['staff', 'reader'] as const;
export type OidcSignInPurpose = (typeof oidcSignInPurposes)[number];

/** A one-time submission key: its first request is still running, or has answered. */
export const submissionStates = ['running', 'done'] as const;
export type SubmissionState = (typeof submissionStates)[number];
