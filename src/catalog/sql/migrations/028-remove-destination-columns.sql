-- Where embeddings go is part of the config now (config.destination); the registry loses its
-- target/view columns, and dropped tables no longer drop their vectorizer behind the user's back.
update ai.vectorizer v
set config = v.config || pg_catalog.jsonb_build_object
    ( 'destination', pg_catalog.jsonb_build_object
        ( 'implementation', 'table'
        , 'config_type', 'destination'
        , 'target_schema', v.target_schema
        , 'target_table', v.target_table
        , 'view_schema', v.view_schema
        , 'view_name', v.view_name
        )
    );

-- the status view reads the old columns; keep its grants, the installer recreates it
create temp table if not exists pgai_saved_acl (relname name primary key, acl aclitem[]) on commit drop;
insert into pg_temp.pgai_saved_acl (relname, acl)
select c.relname, c.relacl
from pg_catalog.pg_class c
where c.oid = pg_catalog.to_regclass('ai.vectorizer_status')
on conflict (relname) do nothing;
drop view if exists ai.vectorizer_status;

alter table ai.vectorizer
    drop column if exists target_schema
  , drop column if exists target_table
  , drop column if exists view_schema
  , drop column if exists view_name;

drop event trigger if exists _vectorizer_handle_drops;
drop function if exists ai._vectorizer_handle_drops();
