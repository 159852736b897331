-- Serving processes cache what a model reference (name@production, name@alias, name@3, an id)
-- resolves to. Every change that can alter a resolution or the version it returns — a version
-- registered, uploaded, promoted, demoted, edited or deleted; an alias set, moved or removed; a
-- model renamed or deleted — is announced on the channel `aihub_model_changes` as its transaction
-- commits, whoever made it. The payload is the project id; a process drops that project's cached
-- resolutions. (`aihub_models`, which warms models, is unchanged.)

CREATE FUNCTION aihub_notify_model_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('aihub_model_changes', OLD.project_id::text);
  ELSE
    PERFORM pg_notify('aihub_model_changes', NEW.project_id::text);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER model_versions_announce_change
  AFTER INSERT OR UPDATE OR DELETE ON model_versions FOR EACH ROW
  EXECUTE FUNCTION aihub_notify_model_change();

CREATE TRIGGER model_aliases_announce_change
  AFTER INSERT OR UPDATE OR DELETE ON model_aliases FOR EACH ROW
  EXECUTE FUNCTION aihub_notify_model_change();

CREATE TRIGGER registered_models_announce_change
  AFTER UPDATE OR DELETE ON registered_models FOR EACH ROW
  EXECUTE FUNCTION aihub_notify_model_change();
