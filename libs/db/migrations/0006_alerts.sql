-- Up Migration

-- Alert lifecycle and notification outbox of the notifier. Incidents group alerts.v1 events by
-- dedupe key (tenant/device/metric/kind); deliveries are the outbox: written in the same
-- transaction as the incident change that caused them, sent afterwards with retries, each with an
-- idempotency key so a resend after a crash is recognisable by the receiver.

CREATE TABLE alert_incidents (
  id text PRIMARY KEY,
  tenant text NOT NULL,
  dedupe_key text NOT NULL,
  device text,
  metric text,
  kind text NOT NULL,
  severity text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  status text NOT NULL CHECK (status IN ('firing', 'acknowledged', 'resolved')),
  message text NOT NULL,
  evidence jsonb NOT NULL DEFAULT '{}'::jsonb,
  device_tags jsonb NOT NULL DEFAULT '{}'::jsonb,
  opened_at timestamptz NOT NULL,
  last_firing_at timestamptz NOT NULL,
  clearing_since timestamptz,
  acknowledged_at timestamptz,
  acknowledged_by text,
  resolved_at timestamptz,
  resolved_by text,
  last_notified_at timestamptz,
  notification_pending boolean NOT NULL DEFAULT false,
  escalated_at timestamptz,
  event_count integer NOT NULL DEFAULT 1,
  -- numbers the notifications of the incident: part of every delivery's idempotency key
  notification_seq integer NOT NULL DEFAULT 0
);

-- at most one open incident per dedupe key: the grouping guarantee, enforced by the database
CREATE UNIQUE INDEX alert_incidents_open_key ON alert_incidents (dedupe_key) WHERE status <> 'resolved';
CREATE INDEX alert_incidents_tenant_opened ON alert_incidents (tenant, opened_at DESC);

CREATE TABLE alert_incident_history (
  id bigserial PRIMARY KEY,
  incident_id text NOT NULL REFERENCES alert_incidents (id) ON DELETE CASCADE,
  at timestamptz NOT NULL DEFAULT now(),
  type text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX alert_incident_history_incident ON alert_incident_history (incident_id, id);

-- alerts.v1 event ids already applied: a redelivered record (at-least-once intake) is a no-op
CREATE TABLE alert_events_seen (
  event_id text PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now()
);

-- per dedupe key, when an "opened" notification last went out (cooldown spans incidents)
CREATE TABLE alert_dedupe_keys (
  dedupe_key text PRIMARY KEY,
  last_opened_notification_at timestamptz NOT NULL
);

CREATE TABLE alert_silences (
  id text PRIMARY KEY,
  tenant text NOT NULL,
  device text,
  metric text,
  kind text,
  tag_key text,
  tag_value text,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL CHECK (ends_at > starts_at),
  reason text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_silences_tenant_ends ON alert_silences (tenant, ends_at);

CREATE TABLE alert_channels (
  id text PRIMARY KEY,
  tenant text NOT NULL,
  name text NOT NULL,
  type text NOT NULL CHECK (type IN ('webhook', 'slack', 'email')),
  -- webhook: {url, secret}; slack: {url}; email: {to: [...]}
  config jsonb NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  min_severity text NOT NULL DEFAULT 'info' CHECK (min_severity IN ('info', 'warning', 'critical')),
  escalation boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_channels_tenant ON alert_channels (tenant);

CREATE TABLE alert_deliveries (
  id bigserial PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE,
  tenant text NOT NULL,
  incident_id text REFERENCES alert_incidents (id) ON DELETE CASCADE,
  -- NULL for the in-app (WebSocket) feed, which is not a configured channel
  channel_id text REFERENCES alert_channels (id) ON DELETE SET NULL,
  channel_type text NOT NULL CHECK (channel_type IN ('webhook', 'slack', 'email', 'websocket')),
  notification text NOT NULL,
  payload jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  -- a worker owns the delivery until then; after a crash another picks it up once it passed
  locked_until timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX alert_deliveries_tenant_created ON alert_deliveries (tenant, id DESC);

-- Down Migration

DROP TABLE alert_deliveries;
DROP TABLE alert_channels;
DROP TABLE alert_silences;
DROP TABLE alert_dedupe_keys;
DROP TABLE alert_events_seen;
DROP TABLE alert_incident_history;
DROP TABLE alert_incidents;
