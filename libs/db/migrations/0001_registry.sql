-- Up Migration

-- Device and tenant registry used by the gateway (auth, device listing) and the stream-transformer
-- (enrichment with device tags). Names are unqualified so the runner's schema (search_path) decides
-- where they live: tests run every migration in a schema of their own.

CREATE TABLE tenants (
  id text PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE devices (
  tenant text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id text NOT NULL,
  -- tags are copied onto every clean reading (enrichment); metadata is descriptive only
  tags jsonb NOT NULL DEFAULT '{}'::jsonb,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz,
  PRIMARY KEY (tenant, id)
);

CREATE TABLE api_keys (
  id text PRIMARY KEY,
  tenant text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  -- hex SHA-256 of the secret: a leaked table does not leak usable keys, and a lookup is one
  -- index probe (keys are long random strings, so a slow password hash buys nothing)
  key_hash text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  name text NOT NULL,
  scopes text[] NOT NULL CHECK (scopes <@ ARRAY['read', 'write', 'admin']::text[]),
  -- NULL = every device of the tenant; otherwise the key may only touch these devices
  device_ids text[],
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  last_used_at timestamptz
);

CREATE INDEX api_keys_tenant_idx ON api_keys (tenant);

-- Down Migration

DROP TABLE api_keys;
DROP TABLE devices;
DROP TABLE tenants;
