-- What each workspace and record stores (bytes of their changes, as stored), so pushes are
-- refused before a workspace or one record outgrows its limit; and which user each Automerge
-- actor belongs to, so nobody can push a change in a teammate's name.
-- Keep in step with the other dialect's file of the same name.
ALTER TABLE workspaces ADD COLUMN stored_bytes BIGINT NOT NULL DEFAULT 0;

CREATE TABLE record_sizes (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    record_id TEXT NOT NULL,
    stored_bytes BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, record_id)
);

CREATE TABLE actors (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    actor TEXT NOT NULL,                   -- hex Automerge actor id
    user_id TEXT NOT NULL,                 -- who writes as this actor
    PRIMARY KEY (workspace_id, actor)
);

INSERT INTO record_sizes (workspace_id, record_id, stored_bytes)
    SELECT workspace_id, record_id, SUM(LENGTH(bytes)) FROM changes
    WHERE hash NOT LIKE 'erased:%' GROUP BY workspace_id, record_id;

UPDATE workspaces SET stored_bytes =
    (SELECT COALESCE(SUM(LENGTH(bytes)), 0) FROM changes WHERE changes.workspace_id = workspaces.id);

-- Who was removed from a workspace and when: an invite link made before the removal no
-- longer admits them (a new link does).
CREATE TABLE removals (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    removed_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);

-- One-time jobs the relay runs in code after the migrations (filling `actors` from the
-- changes already stored), marked done here.
CREATE TABLE relay_jobs (
    name TEXT PRIMARY KEY,
    done_at BIGINT NOT NULL
);
