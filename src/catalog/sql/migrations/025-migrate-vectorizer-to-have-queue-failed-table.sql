-- Every existing vectorizer gets its failed queue, readable/writable by whoever could use the queue.
do $failed_queues$
declare
    _vec record;
    _failed name;
    _columns text;
    _index_columns text;
    _grantees text;
begin
    for _vec in select v.* from ai.vectorizer v where v.queue_failed_table is null order by v.id
    loop
        _failed = pg_catalog.concat('_vectorizer_q_failed_', _vec.id);
        update ai.vectorizer set queue_failed_table = _failed where id = _vec.id;

        if _vec.queue_schema is null
           or pg_catalog.to_regnamespace(pg_catalog.quote_ident(_vec.queue_schema)) is null
           or pg_catalog.to_regclass(pg_catalog.format('%I.%I', _vec.queue_schema, _failed)) is not null then
            continue;
        end if;

        select pg_catalog.string_agg(pg_catalog.format('%I %s not null', k.attname, k.typname), ', ' order by k.attnum)
             , pg_catalog.string_agg(pg_catalog.quote_ident(k.attname), ', ' order by k.pknum)
        into _columns, _index_columns
        from pg_catalog.jsonb_to_recordset(_vec.source_pk) k(attnum int4, pknum int4, attname name, typname text);

        execute pg_catalog.format
            ( 'create table %I.%I (%s, created_at timestamptz not null default pg_catalog.now(), '
              'failure_step text not null default '''')'
            , _vec.queue_schema, _failed, _columns
            );
        execute pg_catalog.format('create index on %I.%I (%s)', _vec.queue_schema, _failed, _index_columns);

        select pg_catalog.string_agg(distinct case when a.grantee = 0 then 'public' else pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) end, ', ')
        into _grantees
        from pg_catalog.pg_class c
        cross join lateral pg_catalog.aclexplode(c.relacl) a
        where c.oid = pg_catalog.to_regclass(pg_catalog.format('%I.%I', _vec.queue_schema, _vec.queue_table))
          and a.grantee <> c.relowner;

        if _grantees is not null then
            execute pg_catalog.format
                ( 'grant select, insert, update, delete on %I.%I to %s'
                , _vec.queue_schema, _failed, _grantees
                );
        end if;
    end loop;
end
$failed_queues$;
