-- Accounts, workspaces and the change log. Times are milliseconds since the Unix epoch.
-- Keep in step with ../sqlite/0002_accounts_and_log.sql: the same tables, columns and keys.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,            -- trimmed and lower-cased
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,           -- argon2id PHC string
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,           -- hex SHA-256 of the token; the token is never stored
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    head BIGINT NOT NULL DEFAULT 0         -- last sequence number given to a change
);

CREATE TABLE memberships (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE invites (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX invites_by_workspace ON invites (workspace_id);

-- The per-workspace change log. `seq` is given under the workspace row's lock, so a reader
-- never sees seq N+1 committed before seq N.
CREATE TABLE changes (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    record_id TEXT NOT NULL,
    hash TEXT NOT NULL,                    -- hex Automerge change hash
    user_id TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, seq),
    UNIQUE (workspace_id, hash)
);
CREATE INDEX changes_by_record ON changes (workspace_id, record_id, seq);

-- A compacted document per record holding every change of that record with seq <= `seq`.
CREATE TABLE snapshots (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    record_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (workspace_id, record_id)
);
