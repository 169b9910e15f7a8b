-- Documents and tasks must name an existing project of their own tenant. A foreign key
-- checked that row by row (a trigger and a query per row, most of an import's cost); these
-- triggers check each statement's distinct (project_id, tenant_id) pairs once. Like the
-- key's check, they lock each project FOR KEY SHARE until the transaction ends, so the
-- project cannot be deleted or change its key under rows not yet committed, and they run
-- as the tables' owner (a key's check ignores row-level security too).
CREATE FUNCTION project_rows_check() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
  AS $$
DECLARE
  k record;
BEGIN
  FOR k IN SELECT DISTINCT project_id, tenant_id FROM new_rows LOOP
    PERFORM 1 FROM projects p WHERE p.id = k.project_id AND p.tenant_id = k.tenant_id FOR KEY SHARE;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%_project_tenant_fk"', TG_TABLE_NAME, TG_TABLE_NAME
        USING ERRCODE = 'foreign_key_violation',
              DETAIL = format('Key (project_id, tenant_id)=(%s, %s) is not present in table "projects".', k.project_id, k.tenant_id),
              TABLE = TG_TABLE_NAME,
              CONSTRAINT = TG_TABLE_NAME || '_project_tenant_fk';
    END IF;
  END LOOP;
  RETURN NULL;
END $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION project_rows_check() FROM PUBLIC;
--> statement-breakpoint
CREATE TRIGGER documents_project_check AFTER INSERT ON documents
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION project_rows_check();
--> statement-breakpoint
CREATE TRIGGER tasks_project_check AFTER INSERT ON tasks
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION project_rows_check();
--> statement-breakpoint
-- A row moved to another project or tenant (nothing does so today) is checked by itself:
-- a statement-level update trigger would capture every counter update of the labeling path.
CREATE FUNCTION project_row_moved_check() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
  AS $$
BEGIN
  PERFORM 1 FROM projects p WHERE p.id = NEW.project_id AND p.tenant_id = NEW.tenant_id FOR KEY SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%_project_tenant_fk"', TG_TABLE_NAME, TG_TABLE_NAME
      USING ERRCODE = 'foreign_key_violation',
            DETAIL = format('Key (project_id, tenant_id)=(%s, %s) is not present in table "projects".', NEW.project_id, NEW.tenant_id),
            TABLE = TG_TABLE_NAME,
            CONSTRAINT = TG_TABLE_NAME || '_project_tenant_fk';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION project_row_moved_check() FROM PUBLIC;
--> statement-breakpoint
CREATE TRIGGER documents_project_moved_check AFTER UPDATE OF project_id, tenant_id ON documents
  FOR EACH ROW WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id)
  EXECUTE FUNCTION project_row_moved_check();
--> statement-breakpoint
CREATE TRIGGER tasks_project_moved_check AFTER UPDATE OF project_id, tenant_id ON tasks
  FOR EACH ROW WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id)
  EXECUTE FUNCTION project_row_moved_check();
--> statement-breakpoint
-- ON DELETE CASCADE, per statement: a deleted project's documents and tasks go with it
-- (each through its (project_id, id) index), and so on through the tasks' own keys.
CREATE FUNCTION project_rows_delete() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
  AS $$
BEGIN
  DELETE FROM tasks t USING old_projects o WHERE t.project_id = o.id AND t.tenant_id = o.tenant_id;
  DELETE FROM documents d USING old_projects o WHERE d.project_id = o.id AND d.tenant_id = o.tenant_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION project_rows_delete() FROM PUBLIC;
--> statement-breakpoint
CREATE TRIGGER projects_rows_delete AFTER DELETE ON projects
  REFERENCING OLD TABLE AS old_projects FOR EACH STATEMENT EXECUTE FUNCTION project_rows_delete();
--> statement-breakpoint
-- ON UPDATE NO ACTION: a project's (id, tenant_id) does not change while rows name it.
CREATE FUNCTION project_key_in_use_check() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
  AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM tasks WHERE project_id = OLD.id AND tenant_id = OLD.tenant_id)
     OR EXISTS (SELECT 1 FROM documents WHERE project_id = OLD.id AND tenant_id = OLD.tenant_id) THEN
    RAISE EXCEPTION 'update on table "projects" changes the key (id, tenant_id)=(%, %), which documents or tasks still name', OLD.id, OLD.tenant_id
      USING ERRCODE = 'foreign_key_violation', TABLE = 'projects';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION project_key_in_use_check() FROM PUBLIC;
--> statement-breakpoint
CREATE TRIGGER projects_key_in_use_check AFTER UPDATE OF id, tenant_id ON projects
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id)
  EXECUTE FUNCTION project_key_in_use_check();
--> statement-breakpoint
-- A key refused TRUNCATE of projects alone; so does this, once the truncation leaves rows
-- naming projects that are gone.
CREATE FUNCTION project_rows_truncate_check() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
  AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM tasks) OR EXISTS (SELECT 1 FROM documents) THEN
    RAISE EXCEPTION 'cannot truncate "projects" while documents or tasks name its rows'
      USING ERRCODE = 'foreign_key_violation', HINT = 'Truncate documents and tasks in the same statement.';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION project_rows_truncate_check() FROM PUBLIC;
--> statement-breakpoint
CREATE TRIGGER projects_rows_truncate_check AFTER TRUNCATE ON projects
  FOR EACH STATEMENT EXECUTE FUNCTION project_rows_truncate_check();
