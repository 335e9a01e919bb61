-- Target tables no longer reference their source table: deletes are handled by the trigger.
do $drop_fk$
declare
    _fk record;
begin
    for _fk in
        select c.conname, v.target_schema, v.target_table
        from ai.vectorizer v
        join pg_catalog.pg_constraint c
          on c.conrelid = pg_catalog.to_regclass(pg_catalog.format('%I.%I', v.target_schema, v.target_table))
         and c.confrelid = pg_catalog.to_regclass(pg_catalog.format('%I.%I', v.source_schema, v.source_table))
         and c.contype = 'f'
    loop
        execute pg_catalog.format
            ( 'alter table %I.%I drop constraint %I'
            , _fk.target_schema, _fk.target_table, _fk.conname
            );
    end loop;
end
$drop_fk$;

drop function if exists ai._vectorizer_create_target_table(name, name, jsonb, name, name, int4, name[]);
