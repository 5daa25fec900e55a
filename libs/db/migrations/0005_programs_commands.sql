-- Up Migration

-- Programs (decision trees) and the commands they and users send to actuators: the
-- actuator-controller's tables. Names are unqualified so the runner's schema decides where they live.

-- The current version of each program; every saved version is also kept in program_versions so a
-- command's issuer (program id + version) can always be looked up.
CREATE TABLE programs (
  tenant text NOT NULL,
  id text NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  name text,
  owner text NOT NULL,
  priority integer NOT NULL DEFAULT 0,
  enabled boolean NOT NULL DEFAULT false,
  definition jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, id)
);

CREATE INDEX programs_enabled_idx ON programs (tenant) WHERE enabled;

CREATE TABLE program_versions (
  tenant text NOT NULL,
  id text NOT NULL,
  version integer NOT NULL,
  definition jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, id, version)
);

-- Actuators known to the controller: registered on first command or first state report.
CREATE TABLE actuators (
  tenant text NOT NULL,
  id text NOT NULL,
  -- last state the actuator reported (actuator.events.v1 kind state/ack)
  state jsonb NOT NULL DEFAULT '{}'::jsonb,
  state_at timestamptz,
  last_command_id text,
  last_command_at timestamptz,
  last_ack_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, id)
);

-- Commands are persisted before they are published: this table is also the outbox. A row is
-- `pending` until published, `sent` until acknowledged, then `acknowledged`, `failed` (nack or no
-- ack after every retry) or `expired`; `rejected` rows were stopped by a safety rule and never sent.
CREATE TABLE commands (
  id text PRIMARY KEY,
  -- program commands: <program>:v<version>:<actuator>:<n> (stable across a replay after a crash);
  -- user commands: the client's Idempotency-Key or the command id
  idempotency_key text NOT NULL UNIQUE,
  tenant text NOT NULL,
  actuator text NOT NULL,
  action text NOT NULL CHECK (action IN ('set_state', 'set_level', 'pulse')),
  params jsonb NOT NULL,
  issuer_kind text NOT NULL CHECK (issuer_kind IN ('program', 'user')),
  issuer_id text NOT NULL,
  program_version integer,
  priority integer NOT NULL DEFAULT 0,
  reason text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'sent', 'acknowledged', 'failed', 'expired', 'rejected')),
  status_reason text,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  acknowledged_at timestamptz,
  completed_at timestamptz,
  expires_at timestamptz NOT NULL,
  -- epoch ms at which the gateway accepted the reading that caused it (latency tracking)
  ingest_ts bigint
);

CREATE INDEX commands_tenant_created_idx ON commands (tenant, created_at DESC);
CREATE INDEX commands_actuator_idx ON commands (tenant, actuator, created_at DESC);
CREATE INDEX commands_outbox_idx ON commands (next_attempt_at) WHERE status IN ('pending', 'sent');

-- Audit: every transition of every command, in order.
CREATE TABLE command_events (
  seq bigserial PRIMARY KEY,
  command_id text NOT NULL REFERENCES commands (id) ON DELETE CASCADE,
  kind text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}'::jsonb,
  at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX command_events_command_idx ON command_events (command_id, seq);

-- Two programs (or a program and a manual override) wanting different things for one actuator.
CREATE TABLE conflicts (
  seq bigserial PRIMARY KEY,
  tenant text NOT NULL,
  actuator text NOT NULL,
  winner_kind text NOT NULL,
  winner_id text NOT NULL,
  winner_priority integer,
  winner_command jsonb NOT NULL,
  loser_program text NOT NULL,
  loser_priority integer NOT NULL,
  loser_command jsonb NOT NULL,
  rule text NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX conflicts_tenant_idx ON conflicts (tenant, seq DESC);

-- A manual command holds the actuator against programs until `until`.
CREATE TABLE overrides (
  tenant text NOT NULL,
  actuator text NOT NULL,
  command_id text NOT NULL,
  issued_by text NOT NULL,
  until timestamptz NOT NULL,
  PRIMARY KEY (tenant, actuator)
);

-- Tenant kill switch: while active no program command of the tenant is issued.
CREATE TABLE kill_switches (
  tenant text PRIMARY KEY,
  active boolean NOT NULL,
  reason text,
  changed_by text NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration

DROP TABLE kill_switches;
DROP TABLE overrides;
DROP TABLE conflicts;
DROP TABLE command_events;
DROP TABLE commands;
DROP TABLE actuators;
DROP TABLE program_versions;
DROP TABLE programs;
