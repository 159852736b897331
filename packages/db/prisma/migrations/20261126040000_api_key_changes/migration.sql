-- Servers cache the key a request presents (see ApiKeyCache). Any change that can end or alter a
-- key's access (revocation, role, project, deletion; a project renamed or deleted) is announced on
-- the channel `aihub_api_keys` when its transaction commits, whoever made it (another server
-- process, an operator's SQL), so every cache drops it at once. The payload is the key's hash, or
-- '*' for "drop everything". lastUsedAt updates are not announced: they change nothing of access.

CREATE FUNCTION aihub_notify_api_key_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('aihub_api_keys', OLD.key_hash);
  RETURN NULL;
END $$;

CREATE FUNCTION aihub_notify_project_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('aihub_api_keys', '*');
  RETURN NULL;
END $$;

CREATE TRIGGER api_keys_announce_update
  AFTER UPDATE ON api_keys FOR EACH ROW
  WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
     OR OLD.role IS DISTINCT FROM NEW.role
     OR OLD.project_id IS DISTINCT FROM NEW.project_id
     OR OLD.key_hash IS DISTINCT FROM NEW.key_hash
     OR OLD.name IS DISTINCT FROM NEW.name)
  EXECUTE FUNCTION aihub_notify_api_key_change();

CREATE TRIGGER api_keys_announce_delete
  AFTER DELETE ON api_keys FOR EACH ROW
  EXECUTE FUNCTION aihub_notify_api_key_change();

CREATE TRIGGER projects_announce_change
  AFTER UPDATE OR DELETE ON projects FOR EACH STATEMENT
  EXECUTE FUNCTION aihub_notify_project_change();
