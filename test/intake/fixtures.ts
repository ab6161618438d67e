// Payloads as each monitoring system documents them, for the intake tests.

/** Alertmanager's webhook payload, version 4 (the documented example shape). */
export function alertmanagerPayload(over: Record<string, unknown> = {}) {
  return {
    receiver: 'herald',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels: {
          alertname: 'ProbeFailure',
          instance: 'https://server.example.org',
          job: 'http_checks',
          monitor: 'master',
          severity: 'critical',
        },
        annotations: {
          description:
            'Instance https://server.example.org has been down for over 5m. Job: http_checks',
          summary: 'BlackBox Probe Failure: https://server.example.org',
        },
        startsAt: '2023-02-06T13:08:45.828Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0',
        fingerprint: '1a30ba71cca2921f',
      },
    ],
    groupLabels: { alertname: 'ProbeFailure' },
    commonLabels: {
      alertname: 'ProbeFailure',
      instance: 'https://server.example.org',
      job: 'http_checks',
      monitor: 'master',
      severity: 'critical',
    },
    commonAnnotations: {
      description:
        'Instance https://server.example.org has been down for over 5m. Job: http_checks',
      summary: 'BlackBox Probe Failure: https://server.example.org',
    },
    externalURL: 'http://prometheus.example.org:9093',
    version: '4',
    groupKey: '{}/{severity="critical"}:{alertname="ProbeFailure"}',
    truncatedAlerts: 0,
    ...over,
  };
}

/** Grafana alerting's webhook contact point: the example from Grafana's documentation. */
export function grafanaPayload(status: 'firing' | 'resolved' = 'firing') {
  const endsAt = status === 'firing' ? '0001-01-01T00:00:00Z' : '2021-10-12T10:15:03.157076+02:00';
  return {
    receiver: 'My Super Webhook',
    status,
    orgId: 1,
    alerts: [
      {
        status,
        labels: { alertname: 'High memory usage', team: 'blue', zone: 'us-1' },
        annotations: {
          description: 'The system has high memory usage',
          runbook_url: 'https://myrunbook.com/runbook/1234',
          summary: 'This alert was triggered for zone us-1',
        },
        startsAt: '2021-10-12T09:51:03.157076+02:00',
        endsAt,
        generatorURL: 'https://play.grafana.org/alerting/1afz29v7z/edit',
        fingerprint: 'c6eadffa33fcdf37',
        silenceURL:
          'https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2%2Cteam%3Dblue%2Czone%3Dus-1',
        dashboardURL: '',
        panelURL: '',
        values: { B: 44.23943737541908, C: 1 },
      },
      {
        status,
        labels: { alertname: 'High CPU usage', team: 'blue', zone: 'eu-1' },
        annotations: {
          description: 'The system has high CPU usage',
          runbook_url: 'https://myrunbook.com/runbook/1234',
          summary: 'This alert was triggered for zone eu-1',
        },
        startsAt: '2021-10-12T09:56:03.157076+02:00',
        endsAt,
        generatorURL: 'https://play.grafana.org/alerting/d1rdpdv7k/edit',
        fingerprint: 'bc97ff14869b13e3',
        silenceURL:
          'https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT1%2Cteam%3Dblue%2Czone%3Deu-1',
        dashboardURL: '',
        panelURL: '',
        values: { B: 44.23943737541908, C: 1 },
      },
    ],
    groupLabels: {},
    commonLabels: { team: 'blue' },
    commonAnnotations: {},
    externalURL: 'https://play.grafana.org/',
    version: '1',
    groupKey: '{}:{}',
    truncatedAlerts: 0,
    title: '[FIRING:2]  (blue)',
    state: 'alerting',
    message: '**Firing**\n\nLabels:\n - alertname = T2\n - team = blue\n - zone = us-1',
  };
}

/**
 * A Datadog webhook with the payload docs/integrations.md tells users to paste, filled the way
 * Datadog fills its variables (values from the variable examples in Datadog's documentation).
 */
export function datadogPayload(transition: string = 'Triggered') {
  return {
    id: '1234567890123456789',
    alert_id: '1234',
    aggreg_key: '9bd4ac313a4d1e8fae2482df7b77628',
    transition,
    title: `[${transition} on {host:ip-012345}] Host is Down`,
    body: '@webhook-herald Host ip-012345 stopped reporting.',
    scope: 'availability-zone:us-east-1a, role:computing-node',
    tags: 'env:prod,service:api',
    priority: 'P1',
    alert_type: 'error',
    link: 'https://app.datadoghq.com/event/event?id=1234567890123456789',
    date: '1406662672000',
    hostname: 'ip-012345',
    org: { id: '1234', name: 'Acme' },
  };
}

/** PagerDuty's v3 webhook event: the example from PagerDuty's developer documentation. */
export function pagerdutyEvent(eventType = 'incident.triggered', status = 'triggered') {
  return {
    event: {
      id: '5ac64822-4adc-4fda-ade0-410becf0de4f',
      event_type: eventType,
      resource_type: 'incident',
      occurred_at: '2020-10-02T18:45:22.169Z',
      agent: {
        html_url: 'https://acme.pagerduty.com/users/PLH1HKV',
        id: 'PLH1HKV',
        self: 'https://api.pagerduty.com/users/PLH1HKV',
        summary: 'Tenex Engineer',
        type: 'user_reference',
      },
      client: { name: 'PagerDuty' },
      data: {
        id: 'PGR0VU2',
        type: 'incident',
        self: 'https://api.pagerduty.com/incidents/PGR0VU2',
        html_url: 'https://acme.pagerduty.com/incidents/PGR0VU2',
        number: 2,
        status,
        title: 'A little bump in the road',
        service: {
          html_url: 'https://acme.pagerduty.com/services/PF9KMXH',
          id: 'PF9KMXH',
          self: 'https://api.pagerduty.com/services/PF9KMXH',
          summary: 'API Service',
          type: 'service_reference',
        },
        assignees: [],
        escalation_policy: {
          html_url: 'https://acme.pagerduty.com/escalation_policies/PUS0KTE',
          id: 'PUS0KTE',
          self: 'https://api.pagerduty.com/escalation_policies/PUS0KTE',
          summary: 'Default',
          type: 'escalation_policy_reference',
        },
        teams: [],
        priority: {
          html_url: 'https://acme.pagerduty.com/account/incident_priorities',
          id: 'PSO75BM',
          self: 'https://api.pagerduty.com/priorities/PSO75BM',
          summary: 'P1',
          type: 'priority_reference',
        },
        urgency: 'high',
        conference_bridge: {
          conference_number: '+1 1234123412,,987654321#',
          conference_url: 'https://example.com',
        },
        resolve_reason: null,
      },
    },
  };
}

/** PagerDuty's incident_note event: it changes no alert state. */
export function pagerdutyNote() {
  return {
    event: {
      id: '01BZ3J1ZJ0K1A8ZMF0HYHGZB1D',
      event_type: 'incident.annotated',
      resource_type: 'incident',
      occurred_at: '2020-10-02T18:50:22.169Z',
      agent: null,
      client: null,
      data: {
        incident: {
          html_url: 'https://acme.pagerduty.com/incidents/PGR0VU2',
          id: 'PGR0VU2',
          self: 'https://api.pagerduty.com/incidents/PGR0VU2',
          summary: 'A little bump in the road',
          type: 'incident_reference',
        },
        id: 'P2LA89X',
        content: 'I sure am glad we are using PagerDuty!',
        trimmed: false,
        type: 'incident_note',
      },
    },
  };
}
