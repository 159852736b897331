-- Serving processes keep loaded models in memory (predictions.*). When a version is promoted to
-- production or an alias is moved to it, the change is announced on the channel `aihub_models` as
-- its transaction commits, whoever made it, so every process loads that version before the first
-- request for it arrives. The payload is '<project id>:<version id>'. Resolution itself never
-- trusts an announcement: every request reads the current version from the database.

CREATE FUNCTION aihub_notify_version_promoted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('aihub_models', NEW.project_id::text || ':' || NEW.id::text);
  RETURN NULL;
END $$;

CREATE FUNCTION aihub_notify_alias_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('aihub_models', NEW.project_id::text || ':' || NEW.version_id::text);
  RETURN NULL;
END $$;

CREATE TRIGGER model_versions_announce_production
  AFTER UPDATE OF stage ON model_versions FOR EACH ROW
  WHEN (NEW.stage = 'production' AND OLD.stage IS DISTINCT FROM NEW.stage)
  EXECUTE FUNCTION aihub_notify_version_promoted();

CREATE TRIGGER model_aliases_announce_move
  AFTER INSERT OR UPDATE OF version_id ON model_aliases FOR EACH ROW
  EXECUTE FUNCTION aihub_notify_alias_moved();
