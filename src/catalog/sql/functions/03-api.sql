-- The public vectorizer API: create/drop, schedule switches, queue depth, status view, and the
-- functions that only work together with the ai extension (vectorizer_embed, execute_vectorizer).
-- Placeholders: @extschema:vector@, @pgai_version@.

create or replace function ai.create_vectorizer
( source regclass
, name text default null
, destination jsonb default ai.destination_table()
, loading jsonb default null
, parsing jsonb default ai.parsing_auto()
, embedding jsonb default null
, chunking jsonb default ai.chunking_recursive_character_text_splitter()
, indexing jsonb default ai.indexing_default()
, formatting jsonb default ai.formatting_python_template()
, scheduling jsonb default ai.scheduling_default()
, processing jsonb default ai.processing_default()
, queue_schema name default null
, queue_table name default null
, grant_to name[] default ai.grant_to()
, enqueue_existing bool default true
, if_not_exists bool default false
) returns int4
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _missing_roles pg_catalog.name[];
    _source_schema pg_catalog.name;
    _source_table pg_catalog.name;
    _may_create pg_catalog.bool;
    _dimensions pg_catalog.int4;
    _source_pk pg_catalog.jsonb;
    _id pg_catalog.int4;
    _existing_id pg_catalog.int4;
    _trigger_name pg_catalog.name;
    _queue_failed_table pg_catalog.name;
    _name pg_catalog.name;
    _job_id pg_catalog.int8;
    _pk_columns pg_catalog.text;
begin
    -- grantees that do not exist are dropped with a warning; an empty list means "grant nothing"
    if grant_to is not null then
        select pg_catalog.array_agg(g) filter (where not r.found)
             , pg_catalog.array_agg(g) filter (where r.found)
        into _missing_roles, grant_to
        from pg_catalog.unnest(grant_to) g
        cross join lateral
            ( select g = 'public' or exists (select 1 from pg_catalog.pg_roles a where a.rolname = g) as found
            ) r;
        if _missing_roles is not null then
            raise warning 'one or more grant_to roles do not exist: %', _missing_roles;
        end if;
    end if;

    if embedding is null then
        raise exception 'embedding configuration is required';
    end if;
    if loading is null then
        raise exception 'loading configuration is required';
    end if;

    select s.nspname
         , c.relname
         , pg_catalog.pg_has_role(current_user, c.relowner, 'MEMBER')
           or coalesce((select a.rolsuper from pg_catalog.pg_roles a where a.rolname = current_user), false)
    into strict _source_schema, _source_table, _may_create
    from pg_catalog.pg_class c
    join pg_catalog.pg_namespace s on s.oid = c.relnamespace
    where c.oid = source;
    if not _may_create then
        raise exception 'only a superuser or the owner of the source table may create a vectorizer on it';
    end if;

    _dimensions = (embedding -> 'dimensions')::pg_catalog.int4;
    if _dimensions is null then
        raise exception 'dimensions argument is required';
    end if;

    _source_pk = ai._vectorizer_source_pk(source);
    if _source_pk is null or pg_catalog.jsonb_array_length(_source_pk) = 0 then
        raise exception 'source table must have a primary key constraint';
    end if;

    -- the id is taken before validation, as pgai does (failed calls leave gaps)
    _id = pg_catalog.nextval('ai.vectorizer_id_seq'::pg_catalog.regclass);
    _trigger_name = pg_catalog.concat('_vectorizer_src_trg_', _id);
    queue_schema = coalesce(queue_schema, 'ai');
    queue_table = coalesce(queue_table, pg_catalog.concat('_vectorizer_q_', _id));
    _queue_failed_table = pg_catalog.concat('_vectorizer_q_failed_', _id);

    if pg_catalog.to_regclass(pg_catalog.format('%I.%I', queue_schema, queue_table)) is not null then
        raise exception 'an object named %.% already exists. specify an alternate queue_table explicitly'
            , queue_schema, queue_table
            using errcode = 'duplicate_object';
    end if;

    perform ai._validate_loading(loading, _source_schema, _source_table);
    perform ai._validate_parsing(parsing, loading, _source_schema, _source_table);
    perform ai._validate_destination(destination, chunking);
    perform ai._validate_embedding(embedding);
    perform ai._validate_chunking(chunking);
    if (indexing ->> 'implementation') = 'default' then
        indexing = ai._resolve_indexing_default();
    end if;
    perform ai._validate_indexing(indexing);
    perform ai._validate_formatting(formatting, _source_schema, _source_table);
    if (scheduling ->> 'implementation') = 'default' then
        scheduling = ai._resolve_scheduling_default();
    end if;
    perform ai._validate_scheduling(scheduling);
    perform ai._validate_processing(processing);

    if (scheduling ->> 'implementation') = 'none' and (indexing ->> 'implementation') <> 'none' then
        raise exception 'automatic indexing is not supported without scheduling. set indexing=>ai.indexing_none() when scheduling=>ai.scheduling_none()';
    end if;

    destination = ai._evaluate_destination(destination, _source_schema, _source_table);

    _name = coalesce
        ( create_vectorizer.name
        , case destination ->> 'implementation'
            when 'table' then pg_catalog.format('%s_%s', destination ->> 'target_schema', destination ->> 'target_table')
            when 'column' then pg_catalog.format('%s_%s_%s', _source_schema, _source_table, destination ->> 'embedding_column')
          end
        );

    select v.id into _existing_id from ai.vectorizer v where v.name = _name;
    if _existing_id is not null then
        if if_not_exists is false then
            raise exception 'a vectorizer named % already exists.', _name
                using errcode = 'duplicate_object';
        end if;
        raise notice 'a vectorizer named % already exists, skipping', _name;
        return _existing_id;
    end if;

    perform ai._validate_destination_can_create_objects(destination);

    perform ai._vectorizer_grant_to_source(_source_schema, _source_table, grant_to);

    if (destination ->> 'implementation') = 'table' then
        perform ai._vectorizer_create_destination_table
            (_source_schema, _source_table, _source_pk, _dimensions, destination, grant_to);
    else
        perform ai._vectorizer_create_destination_column
            (_source_schema, _source_table, _dimensions, destination);
    end if;

    perform ai._vectorizer_create_queue_table(queue_schema, queue_table, _source_pk, grant_to);
    perform ai._vectorizer_create_queue_failed_table(queue_schema, _queue_failed_table, _source_pk, grant_to);

    perform ai._vectorizer_create_source_trigger
        ( _trigger_name
        , queue_schema
        , queue_table
        , _source_schema
        , _source_table
        , (destination ->> 'target_schema')::pg_catalog.name
        , (destination ->> 'target_table')::pg_catalog.name
        , _source_pk
        );

    _job_id = ai._vectorizer_schedule_job(_id, scheduling);
    if _job_id is not null then
        scheduling = scheduling || pg_catalog.jsonb_build_object('job_id', _job_id);
    end if;

    insert into ai.vectorizer
        ( id, source_schema, source_table, source_pk, trigger_name
        , queue_schema, queue_table, queue_failed_table, config, name
        )
    values
        ( _id, _source_schema, _source_table, _source_pk, _trigger_name
        , queue_schema, queue_table, _queue_failed_table
        , pg_catalog.jsonb_build_object
            ( 'version', '@pgai_version@'
            , 'loading', loading
            , 'parsing', parsing
            , 'embedding', embedding
            , 'chunking', chunking
            , 'indexing', indexing
            , 'formatting', formatting
            , 'scheduling', scheduling
            , 'processing', processing
            , 'destination', destination
            )
        , _name
        );

    perform ai._vectorizer_grant_to_vectorizer(grant_to);

    if enqueue_existing is true then
        select pg_catalog.string_agg(pg_catalog.quote_ident(k.attname), ', ' order by k.attnum)
        into _pk_columns
        from pg_catalog.jsonb_to_recordset(_source_pk) k(attnum int4, attname pg_catalog.name);
        execute pg_catalog.format
            ( 'insert into %I.%I (%s) select %s from %I.%I'
            , queue_schema, queue_table, _pk_columns, _pk_columns, _source_schema, _source_table
            );
    end if;

    return _id;
end
$fn$;

-------------------------------------------------------------------------------------------------
-- drop

create or replace function ai.drop_vectorizer
( vectorizer_id int4
, drop_all bool default false
) returns void
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _vec ai.vectorizer;
    _destination jsonb;
    _job_id int8;
    _timescaledb name;
    _source regclass;
    _trigger_function regprocedure;
begin
    select v.* into strict _vec from ai.vectorizer v where v.id = vectorizer_id;
    _destination = _vec.config -> 'destination';

    _job_id = (_vec.config -> 'scheduling' ->> 'job_id')::int8;
    if (_vec.config -> 'scheduling' ->> 'implementation') = 'timescaledb' and _job_id is not null then
        select s.nspname into _timescaledb
        from pg_catalog.pg_extension x
        join pg_catalog.pg_namespace s on s.oid = x.extnamespace
        where x.extname = 'timescaledb';
        if _timescaledb is not null then
            execute pg_catalog.format
                ( 'select %I.delete_job(j.job_id) from timescaledb_information.jobs j where j.job_id = %s'
                , _timescaledb, _job_id
                );
        end if;
    end if;

    _source = pg_catalog.to_regclass(pg_catalog.format('%I.%I', _vec.source_schema, _vec.source_table));
    select t.tgfoid::regprocedure into _trigger_function
    from pg_catalog.pg_trigger t
    where t.tgrelid = _source and t.tgname = _vec.trigger_name;
    if _trigger_function is not null then
        execute pg_catalog.format('drop trigger %I on %s', _vec.trigger_name, _source);
        execute pg_catalog.format('drop trigger if exists %I on %s', _vec.trigger_name || '_truncate', _source);
        execute pg_catalog.format('drop function if exists %s', _trigger_function);
    else
        -- the source table (or its trigger) is gone: find the function by name
        select p.oid::regprocedure into _trigger_function
        from pg_catalog.pg_proc p
        join pg_catalog.pg_namespace s on s.oid = p.pronamespace
        where s.nspname = _vec.queue_schema
          and p.proname = _vec.trigger_name
          and p.pronargs = 0
          and p.prorettype = 'pg_catalog.trigger'::regtype;
        if _trigger_function is not null then
            execute pg_catalog.format('drop function %s cascade', _trigger_function);
        end if;
    end if;

    if _vec.queue_table is not null then
        execute pg_catalog.format('drop table if exists %I.%I', _vec.queue_schema, _vec.queue_table);
    end if;
    if _vec.queue_failed_table is not null then
        execute pg_catalog.format('drop table if exists %I.%I', _vec.queue_schema, _vec.queue_failed_table);
    end if;

    if drop_all and (_destination ->> 'implementation') = 'table' then
        execute pg_catalog.format('drop view if exists %I.%I', _destination ->> 'view_schema', _destination ->> 'view_name');
        execute pg_catalog.format('drop table if exists %I.%I', _destination ->> 'target_schema', _destination ->> 'target_table');
    end if;

    delete from ai.vectorizer v where v.id = vectorizer_id;
end
$fn$;

create or replace function ai.drop_vectorizer
( name text
, drop_all bool default false
) returns void
language sql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select ai.drop_vectorizer(v.id, drop_all)
    from ai.vectorizer v
    where v.name operator(pg_catalog.=) drop_vectorizer.name
$fn$;

-------------------------------------------------------------------------------------------------
-- pausing: workers skip disabled vectorizers; a TimescaleDB job is paused along with it

create or replace function ai.disable_vectorizer_schedule(vectorizer_id int4) returns void
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _vec ai.vectorizer;
    _timescaledb name;
begin
    update ai.vectorizer v set disabled = true where v.id = vectorizer_id returning v.* into strict _vec;
    if (_vec.config -> 'scheduling' ->> 'implementation') = 'timescaledb' then
        select s.nspname into _timescaledb
        from pg_catalog.pg_extension x
        join pg_catalog.pg_namespace s on s.oid = x.extnamespace
        where x.extname = 'timescaledb';
        if _timescaledb is not null then
            execute pg_catalog.format
                ( 'select %I.alter_job(j.job_id, scheduled=>false) from timescaledb_information.jobs j where j.job_id = %L'
                , _timescaledb, _vec.config -> 'scheduling' ->> 'job_id'
                );
        end if;
    end if;
end
$fn$;

create or replace function ai.disable_vectorizer_schedule(name text) returns void
language sql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select ai.disable_vectorizer_schedule(v.id)
    from ai.vectorizer v
    where v.name operator(pg_catalog.=) disable_vectorizer_schedule.name
$fn$;

create or replace function ai.enable_vectorizer_schedule(vectorizer_id int4) returns void
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _vec ai.vectorizer;
    _timescaledb name;
begin
    update ai.vectorizer v set disabled = false where v.id = vectorizer_id returning v.* into strict _vec;
    if (_vec.config -> 'scheduling' ->> 'implementation') = 'timescaledb' then
        select s.nspname into _timescaledb
        from pg_catalog.pg_extension x
        join pg_catalog.pg_namespace s on s.oid = x.extnamespace
        where x.extname = 'timescaledb';
        if _timescaledb is not null then
            execute pg_catalog.format
                ( 'select %I.alter_job(j.job_id, scheduled=>true) from timescaledb_information.jobs j where j.job_id = %L'
                , _timescaledb, _vec.config -> 'scheduling' ->> 'job_id'
                );
        end if;
    end if;
end
$fn$;

create or replace function ai.enable_vectorizer_schedule(name text) returns void
language sql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select ai.enable_vectorizer_schedule(v.id)
    from ai.vectorizer v
    where v.name operator(pg_catalog.=) enable_vectorizer_schedule.name
$fn$;

-------------------------------------------------------------------------------------------------
-- queue depth

create or replace function ai.vectorizer_queue_pending
( vectorizer_id int4
, exact_count bool default false
) returns int8
language plpgsql stable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _queue_schema name;
    _queue_table name;
    _count int8;
begin
    select v.queue_schema, v.queue_table into _queue_schema, _queue_table
    from ai.vectorizer v
    where v.id = vectorizer_id;
    if _queue_schema is null or _queue_table is null then
        raise exception 'vectorizer has no queue table';
    end if;
    if exact_count then
        execute pg_catalog.format('select pg_catalog.count(*) from %I.%I', _queue_schema, _queue_table)
        into strict _count;
        return _count;
    end if;
    -- counting stops early: beyond 10000 rows the answer is "many" (max int8)
    execute pg_catalog.format
        ( 'select pg_catalog.count(*) from (select 1 from %I.%I limit 10001) q'
        , _queue_schema, _queue_table
        )
    into strict _count;
    if _count > 10000 then
        return 9223372036854775807;
    end if;
    return _count;
end
$fn$;

create or replace function ai.vectorizer_queue_pending
( name text
, exact_count bool default false
) returns int8
language sql stable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select ai.vectorizer_queue_pending(v.id, exact_count)
    from ai.vectorizer v
    where v.name operator(pg_catalog.=) vectorizer_queue_pending.name
$fn$;

-------------------------------------------------------------------------------------------------
-- ai extension features: present so that calls resolve, working only when the extension is installed

create or replace function ai.vectorizer_embed
( embedding_config jsonb
, input_text text
, input_type text default null
) returns @extschema:vector@.vector
language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _c jsonb = embedding_config;
begin
    case _c ->> 'implementation'
    when 'openai' then
        return ai.openai_embed
            ( _c ->> 'model'
            , input_text
            , api_key_name => _c ->> 'api_key_name'
            , dimensions => (_c ->> 'dimensions')::int4
            , openai_user => _c ->> 'user'
            );
    when 'ollama' then
        return ai.ollama_embed
            ( _c ->> 'model'
            , input_text
            , host => _c ->> 'base_url'
            , keep_alive => _c ->> 'keep_alive'
            , embedding_options => _c -> 'options'
            );
    when 'voyageai' then
        return ai.voyageai_embed
            ( _c ->> 'model'
            , input_text
            , input_type => coalesce(input_type, 'query')
            , api_key_name => _c ->> 'api_key_name'
            );
    else
        raise exception 'unsupported embedding implementation';
    end case;
end
$fn$;

create or replace function ai.vectorizer_embed
( vectorizer_id int4
, input_text text
, input_type text default null
) returns @extschema:vector@.vector
language sql stable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select ai.vectorizer_embed(v.config operator(pg_catalog.->) 'embedding', input_text, input_type)
    from ai.vectorizer v
    where v.id operator(pg_catalog.=) vectorizer_id
$fn$;

create or replace function ai.vectorizer_embed
( name text
, input_text text
, input_type text default null
) returns @extschema:vector@.vector
language sql stable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select ai.vectorizer_embed(v.id, input_text, input_type)
    from ai.vectorizer v
    where v.name operator(pg_catalog.=) vectorizer_embed.name
$fn$;

create or replace function ai.execute_vectorizer(vectorizer_name text) returns void
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _id int4;
begin
    select v.id into strict _id from ai.vectorizer v where v.name = vectorizer_name;
    -- ai.execute_vectorizer(int4) is provided by the ai extension
    perform ai.execute_vectorizer(_id);
end
$fn$;

-- Replaces scheduling and indexing of a vectorizer. Unlike pgai 0.12.1 this also works in a
-- database without TimescaleDB when no job exists (see README).
create or replace function ai.set_scheduling
( vectorizer_id int4
, scheduling jsonb default ai.scheduling_default()
, indexing jsonb default ai.indexing_default()
) returns jsonb
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _old_job_id int8;
    _job_id int8;
    _timescaledb name;
    _config jsonb;
begin
    if (indexing ->> 'implementation') = 'default' then
        indexing = ai._resolve_indexing_default();
    end if;
    perform ai._validate_indexing(indexing);
    if (scheduling ->> 'implementation') = 'default' then
        scheduling = ai._resolve_scheduling_default();
    end if;
    perform ai._validate_scheduling(scheduling);
    if (scheduling ->> 'implementation') = 'none' and (indexing ->> 'implementation') <> 'none' then
        raise exception 'automatic indexing is not supported without scheduling. set indexing=>ai.indexing_none() when scheduling=>ai.scheduling_none()';
    end if;

    select (v.config #>> '{scheduling,job_id}')::int8 into _old_job_id
    from ai.vectorizer v
    where v.id = vectorizer_id;
    if _old_job_id is not null then
        select s.nspname into _timescaledb
        from pg_catalog.pg_extension x
        join pg_catalog.pg_namespace s on s.oid = x.extnamespace
        where x.extname = 'timescaledb';
        if _timescaledb is null then
            raise exception 'timescaledb extension not found';
        end if;
        execute pg_catalog.format('select %I.delete_job(%s::int4)', _timescaledb, _old_job_id);
    end if;

    _job_id = ai._vectorizer_schedule_job(vectorizer_id, scheduling);
    if _job_id is not null then
        scheduling = scheduling || pg_catalog.jsonb_build_object('job_id', _job_id);
    end if;

    update ai.vectorizer v
    set config = v.config || pg_catalog.jsonb_build_object('scheduling', scheduling, 'indexing', indexing)
    where v.id = vectorizer_id
    returning v.config into _config;
    return _config;
end
$fn$;
