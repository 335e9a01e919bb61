-- Config helpers (the jsonb building blocks users pass to ai.create_vectorizer), their validators
-- and the GUC-driven defaults. Helpers only build JSON; create_vectorizer validates.

-------------------------------------------------------------------------------------------------
-- loading

create or replace function ai.loading_column
( column_name name
, retries int4 default 6
) returns jsonb
language sql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select pg_catalog.jsonb_build_object
        ( 'implementation', 'column'
        , 'config_type', 'loading'
        , 'column_name', column_name
        , 'retries', retries
        )
$fn$;

create or replace function ai.loading_uri
( column_name name
, retries int4 default 6
, aws_role_arn text default null
) returns jsonb
language sql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
        ( 'implementation', 'uri'
        , 'config_type', 'loading'
        , 'column_name', column_name
        , 'retries', retries
        , 'aws_role_arn', aws_role_arn
        ))
$fn$;

create or replace function ai._validate_loading
( config jsonb
, source_schema name
, source_table name
) returns void
language plpgsql stable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _impl text = config ->> 'implementation';
    _column name = config ->> 'column_name';
    _retries jsonb = config -> 'retries';
    _arn text = config ->> 'aws_role_arn';
    _column_type name;
begin
    if pg_catalog.jsonb_typeof(config) <> 'object' then
        raise exception 'loading config is not a jsonb object';
    end if;
    if (config ->> 'config_type') is distinct from 'loading' then
        raise exception 'invalid config_type for loading config';
    end if;
    if _impl is null or _impl not in ('column', 'uri') then
        raise exception 'invalid loading config implementation';
    end if;
    if _column is null then
        raise exception 'invalid loading config, missing column_name';
    end if;
    if _retries is null
       or pg_catalog.jsonb_typeof(_retries) <> 'number'
       or (_retries #>> '{}')::numeric < 0 then
        raise exception 'invalid loading config, retries must be a non-negative integer';
    end if;
    if _arn is not null and _arn not like 'arn:aws:iam::%:role/%' then
        raise exception 'invalid loading config, aws_role_arn must match arn:aws:iam::*:role/*';
    end if;

    select t.typname into _column_type
    from pg_catalog.pg_attribute a
    join pg_catalog.pg_class c on c.oid = a.attrelid
    join pg_catalog.pg_namespace s on s.oid = c.relnamespace
    join pg_catalog.pg_type t on t.oid = a.atttypid
    where s.nspname = source_schema
      and c.relname = source_table
      and a.attname = _column
      and a.attnum > 0
      and not a.attisdropped;

    if _column_type is null then
        raise exception 'column_name in config does not exist in the table: %', _column;
    end if;
    if _column_type not in ('text', 'varchar', 'char', 'bpchar', 'bytea') then
        raise exception 'column_name % in config is of invalid type %. Supported types are: text, varchar, char, bpchar, bytea'
            , _column, _column_type;
    end if;
    if _impl = 'uri' and _column_type = 'bytea' then
        raise exception 'the type of the column `%` in config is not compatible with `uri` loading implementation (type should be either text, varchar, char, bpchar, or bytea)'
            , _column;
    end if;
end
$fn$;

-------------------------------------------------------------------------------------------------
-- parsing

create or replace function ai.parsing_auto() returns jsonb
language sql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select pg_catalog.jsonb_build_object('implementation', 'auto', 'config_type', 'parsing')
$fn$;

create or replace function ai.parsing_none() returns jsonb
language sql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select pg_catalog.jsonb_build_object('implementation', 'none', 'config_type', 'parsing')
$fn$;

create or replace function ai.parsing_pymupdf() returns jsonb
language sql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select pg_catalog.jsonb_build_object('implementation', 'pymupdf', 'config_type', 'parsing')
$fn$;

create or replace function ai.parsing_docling() returns jsonb
language sql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select pg_catalog.jsonb_build_object('implementation', 'docling', 'config_type', 'parsing')
$fn$;

create or replace function ai._validate_parsing
( parsing jsonb
, loading jsonb
, source_schema name
, source_table name
) returns void
language plpgsql stable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _impl text = parsing ->> 'implementation';
    _column_type name;
begin
    if pg_catalog.jsonb_typeof(parsing) <> 'object' then
        raise exception 'parsing config is not a jsonb object';
    end if;
    if (parsing ->> 'config_type') is distinct from 'parsing' then
        raise exception 'invalid config_type for parsing config';
    end if;
    if _impl not in ('auto', 'none', 'pymupdf', 'docling') then
        raise exception 'invalid parsing config implementation';
    end if;

    select t.typname into _column_type
    from pg_catalog.pg_attribute a
    join pg_catalog.pg_class c on c.oid = a.attrelid
    join pg_catalog.pg_namespace s on s.oid = c.relnamespace
    join pg_catalog.pg_type t on t.oid = a.atttypid
    where s.nspname = source_schema
      and c.relname = source_table
      and a.attname = (loading ->> 'column_name')
      and a.attnum > 0
      and not a.attisdropped;

    if _impl = 'none' and _column_type = 'bytea' then
        raise exception 'cannot use parsing_none with bytea columns';
    end if;
    if (loading ->> 'implementation') = 'column'
       and _impl in ('pymupdf', 'docling')
       and _column_type <> 'bytea' then
        raise exception 'parsing_% must be used with a bytea column', _impl;
    end if;
end
$fn$;

-------------------------------------------------------------------------------------------------
-- chunking

create or replace function ai.chunking_none() returns jsonb
language sql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select pg_catalog.jsonb_build_object('implementation', 'none', 'config_type', 'chunking')
$fn$;

create or replace function ai.chunking_character_text_splitter
( chunk_size int4 default 800
, chunk_overlap int4 default 400
, separator text default E'\n\n'
, is_separator_regex bool default false
) returns jsonb
language sql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
        ( 'implementation', 'character_text_splitter'
        , 'config_type', 'chunking'
        , 'chunk_size', chunk_size
        , 'chunk_overlap', chunk_overlap
        , 'separator', separator
        , 'is_separator_regex', is_separator_regex
        ))
$fn$;

create or replace function ai.chunking_recursive_character_text_splitter
( chunk_size int4 default 800
, chunk_overlap int4 default 400
, separators text[] default array[E'\n\n', E'\n', '.', '?', '!', ' ', '']
, is_separator_regex bool default false
) returns jsonb
language sql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
        ( 'implementation', 'recursive_character_text_splitter'
        , 'config_type', 'chunking'
        , 'chunk_size', chunk_size
        , 'chunk_overlap', chunk_overlap
        , 'separators', separators
        , 'is_separator_regex', is_separator_regex
        ))
$fn$;

create or replace function ai._validate_chunking(config jsonb) returns void
language plpgsql stable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _impl text = config ->> 'implementation';
begin
    if pg_catalog.jsonb_typeof(config) <> 'object' then
        raise exception 'chunking config is not a jsonb object';
    end if;
    if (config ->> 'config_type') is distinct from 'chunking' then
        raise exception 'invalid config_type for chunking config';
    end if;
    if _impl is null or _impl not in ('character_text_splitter', 'recursive_character_text_splitter', 'none') then
        raise exception 'invalid chunking config implementation';
    end if;
end
$fn$;

-------------------------------------------------------------------------------------------------
-- formatting

create or replace function ai.formatting_python_template(template text default '$chunk') returns jsonb
language sql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
        ( 'implementation', 'python_template'
        , 'config_type', 'formatting'
        , 'template', template
        ))
$fn$;

create or replace function ai._validate_formatting_python_template
( config jsonb
, source_schema name
, source_table name
) returns void
language plpgsql stable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
begin
    -- a config without a template is not rejected here (pgai behaves the same)
    if pg_catalog.strpos(config ->> 'template', '$chunk') = 0 then
        raise exception 'template must contain $chunk placeholder';
    end if;
    if exists
       ( select 1
         from pg_catalog.pg_attribute a
         join pg_catalog.pg_class c on c.oid = a.attrelid
         join pg_catalog.pg_namespace s on s.oid = c.relnamespace
         where s.nspname = source_schema
           and c.relname = source_table
           and a.attname = 'chunk'
           and a.attnum > 0
           and not a.attisdropped
       ) then
        raise exception 'formatting_python_template may not be used when source table has a column named "chunk"';
    end if;
end
$fn$;

create or replace function ai._validate_formatting
( config jsonb
, source_schema name
, source_table name
) returns void
language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
begin
    if pg_catalog.jsonb_typeof(config) <> 'object' then
        raise exception 'formatting config is not a jsonb object';
    end if;
    if (config ->> 'config_type') is distinct from 'formatting' then
        raise exception 'invalid config_type for formatting config';
    end if;
    if (config ->> 'implementation') is distinct from 'python_template' then
        raise exception 'unrecognized formatting implementation';
    end if;
    perform ai._validate_formatting_python_template(config, source_schema, source_table);
end
$fn$;

-------------------------------------------------------------------------------------------------
-- embedding

create or replace function ai.embedding_openai
( model text
, dimensions int4
, chat_user text default null
, api_key_name text default 'OPENAI_API_KEY'
, base_url text default null
) returns jsonb
language sql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
        ( 'implementation', 'openai'
        , 'config_type', 'embedding'
        , 'model', model
        , 'dimensions', dimensions
        , 'user', chat_user
        , 'api_key_name', api_key_name
        , 'base_url', base_url
        ))
$fn$;

create or replace function ai.embedding_ollama
( model text
, dimensions int4
, base_url text default null
, options jsonb default null
, keep_alive text default null
) returns jsonb
language sql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
        ( 'implementation', 'ollama'
        , 'config_type', 'embedding'
        , 'model', model
        , 'dimensions', dimensions
        , 'base_url', base_url
        , 'options', options
        , 'keep_alive', keep_alive
        ))
$fn$;

create or replace function ai.embedding_voyageai
( model text
, dimensions int4
, input_type text default 'document'
, api_key_name text default 'VOYAGE_API_KEY'
) returns jsonb
language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
begin
    if input_type is not null and input_type not in ('query', 'document') then
        raise exception 'invalid input_type for voyage ai "%"', input_type;
    end if;
    return pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
        ( 'implementation', 'voyageai'
        , 'config_type', 'embedding'
        , 'model', model
        , 'dimensions', dimensions
        , 'input_type', input_type
        , 'api_key_name', api_key_name
        ));
end
$fn$;

create or replace function ai.embedding_litellm
( model text
, dimensions int4
, api_key_name text default null
, extra_options jsonb default null
) returns jsonb
language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
begin
    return pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
        ( 'implementation', 'litellm'
        , 'config_type', 'embedding'
        , 'model', model
        , 'dimensions', dimensions
        , 'api_key_name', api_key_name
        , 'extra_options', extra_options
        ));
end
$fn$;

create or replace function ai._validate_embedding(config jsonb) returns void
language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _impl text = config ->> 'implementation';
begin
    if pg_catalog.jsonb_typeof(config) <> 'object' then
        raise exception 'embedding config is not a jsonb object';
    end if;
    if (config ->> 'config_type') is distinct from 'embedding' then
        raise exception 'invalid config_type for embedding config';
    end if;
    if _impl is null then
        raise exception 'embedding implementation not specified';
    end if;
    if _impl not in ('openai', 'ollama', 'voyageai', 'litellm') then
        raise exception 'invalid embedding implementation: "%"', _impl;
    end if;
end
$fn$;

-------------------------------------------------------------------------------------------------
-- indexing

create or replace function ai.indexing_none() returns jsonb
language sql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select pg_catalog.jsonb_build_object('implementation', 'none', 'config_type', 'indexing')
$fn$;

create or replace function ai.indexing_default() returns jsonb
language sql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select pg_catalog.jsonb_build_object('implementation', 'default', 'config_type', 'indexing')
$fn$;

create or replace function ai.indexing_diskann
( min_rows int4 default 100000
, storage_layout text default null
, num_neighbors int4 default null
, search_list_size int4 default null
, max_alpha float8 default null
, num_dimensions int4 default null
, num_bits_per_dimension int4 default null
, create_when_queue_empty bool default true
) returns jsonb
language sql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
        ( 'implementation', 'diskann'
        , 'config_type', 'indexing'
        , 'min_rows', min_rows
        , 'storage_layout', storage_layout
        , 'num_neighbors', num_neighbors
        , 'search_list_size', search_list_size
        , 'max_alpha', max_alpha
        , 'num_dimensions', num_dimensions
        , 'num_bits_per_dimension', num_bits_per_dimension
        , 'create_when_queue_empty', create_when_queue_empty
        ))
$fn$;

create or replace function ai.indexing_hnsw
( min_rows int4 default 100000
, opclass text default 'vector_cosine_ops'
, m int4 default null
, ef_construction int4 default null
, create_when_queue_empty bool default true
) returns jsonb
language sql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
        ( 'implementation', 'hnsw'
        , 'config_type', 'indexing'
        , 'min_rows', min_rows
        , 'opclass', opclass
        , 'm', m
        , 'ef_construction', ef_construction
        , 'create_when_queue_empty', create_when_queue_empty
        ))
$fn$;

create or replace function ai._resolve_indexing_default() returns jsonb
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
begin
    return case pg_catalog.current_setting('ai.indexing_default', true)
        when 'indexing_diskann' then ai.indexing_diskann()
        when 'indexing_hnsw' then ai.indexing_hnsw()
        else ai.indexing_none()
    end;
end
$fn$;

create or replace function ai._validate_indexing_diskann(config jsonb) returns void
language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
begin
    if (config ->> 'storage_layout') not in ('memory_optimized', 'plain') then
        raise exception 'invalid storage_layout';
    end if;
end
$fn$;

create or replace function ai._validate_indexing_hnsw(config jsonb) returns void
language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
begin
    if (config ->> 'opclass') not in ('vector_ip_ops', 'vector_cosine_ops', 'vector_l1_ops') then
        raise exception 'invalid opclass';
    end if;
end
$fn$;

create or replace function ai._validate_indexing(config jsonb) returns void
language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _impl text = config ->> 'implementation';
begin
    if pg_catalog.jsonb_typeof(config) <> 'object' then
        raise exception 'indexing config is not a jsonb object';
    end if;
    if (config ->> 'config_type') is distinct from 'indexing' then
        raise exception 'invalid config_type for indexing config';
    end if;
    if _impl is null then
        raise exception 'indexing implementation not specified';
    elsif _impl = 'diskann' then
        perform ai._validate_indexing_diskann(config);
    elsif _impl = 'hnsw' then
        perform ai._validate_indexing_hnsw(config);
    elsif _impl <> 'none' then
        raise exception 'invalid indexing implementation: "%"', _impl;
    end if;
end
$fn$;

-------------------------------------------------------------------------------------------------
-- scheduling

create or replace function ai.scheduling_none() returns jsonb
language sql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select pg_catalog.jsonb_build_object('implementation', 'none', 'config_type', 'scheduling')
$fn$;

create or replace function ai.scheduling_default() returns jsonb
language sql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select pg_catalog.jsonb_build_object('implementation', 'default', 'config_type', 'scheduling')
$fn$;

create or replace function ai.scheduling_timescaledb
( schedule_interval interval default interval '5m'
, initial_start timestamptz default null
, fixed_schedule bool default null
, timezone text default null
) returns jsonb
language sql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
        ( 'implementation', 'timescaledb'
        , 'config_type', 'scheduling'
        , 'schedule_interval', schedule_interval
        , 'initial_start', initial_start
        , 'fixed_schedule', fixed_schedule
        , 'timezone', timezone
        ))
$fn$;

create or replace function ai._resolve_scheduling_default() returns jsonb
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
begin
    if pg_catalog.current_setting('ai.scheduling_default', true) = 'scheduling_timescaledb' then
        return ai.scheduling_timescaledb();
    end if;
    return ai.scheduling_none();
end
$fn$;

create or replace function ai._validate_scheduling(config jsonb) returns void
language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _impl text = config ->> 'implementation';
begin
    if pg_catalog.jsonb_typeof(config) <> 'object' then
        raise exception 'scheduling config is not a jsonb object';
    end if;
    if (config ->> 'config_type') is distinct from 'scheduling' then
        raise exception 'invalid config_type for scheduling config';
    end if;
    if _impl is null then
        raise exception 'scheduling implementation not specified';
    end if;
    if _impl not in ('none', 'timescaledb') then
        raise exception 'unrecognized scheduling implementation: "%"', _impl;
    end if;
end
$fn$;

-------------------------------------------------------------------------------------------------
-- processing

create or replace function ai.processing_default
( batch_size int4 default null
, concurrency int4 default null
) returns jsonb
language sql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
        ( 'implementation', 'default'
        , 'config_type', 'processing'
        , 'batch_size', batch_size
        , 'concurrency', concurrency
        ))
$fn$;

create or replace function ai._validate_processing(config jsonb) returns void
language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _impl text = config ->> 'implementation';
    _setting record;
begin
    if pg_catalog.jsonb_typeof(config) <> 'object' then
        raise exception 'processing config is not a jsonb object';
    end if;
    if (config ->> 'config_type') is distinct from 'processing' then
        raise exception 'invalid config_type for processing config';
    end if;
    if _impl is null then
        raise exception 'processing implementation not specified';
    end if;
    if _impl <> 'default' then
        raise exception 'unrecognized processing implementation: "%"', _impl;
    end if;
    for _setting in
        select l.key, l.upper_bound, config -> l.key as value
        from (values ('batch_size', 2048), ('concurrency', 50)) l(key, upper_bound)
        where config ? l.key
        order by l.upper_bound desc
    loop
        if pg_catalog.jsonb_typeof(_setting.value) <> 'number' then
            raise exception '% must be a number', _setting.key;
        end if;
        if (_setting.value #>> '{}')::numeric > _setting.upper_bound then
            raise exception '% must be less than or equal to %', _setting.key, _setting.upper_bound;
        end if;
        if (_setting.value #>> '{}')::numeric < 1 then
            raise exception '% must be greater than 0', _setting.key;
        end if;
    end loop;
end
$fn$;

-------------------------------------------------------------------------------------------------
-- destination

create or replace function ai.destination_table
( destination name default null
, target_schema name default null
, target_table name default null
, view_schema name default null
, view_name name default null
) returns jsonb
language sql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
        ( 'implementation', 'table'
        , 'config_type', 'destination'
        , 'destination', destination
        , 'target_schema', target_schema
        , 'target_table', target_table
        , 'view_schema', view_schema
        , 'view_name', view_name
        ))
$fn$;

create or replace function ai.destination_column(embedding_column name) returns jsonb
language sql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
        ( 'implementation', 'column'
        , 'config_type', 'destination'
        , 'embedding_column', embedding_column
        ))
$fn$;

create or replace function ai._validate_destination(destination jsonb, chunking jsonb) returns void
language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
begin
    if pg_catalog.jsonb_typeof(destination) <> 'object' then
        raise exception 'destination config is not a jsonb object';
    end if;
    if (destination ->> 'config_type') is distinct from 'destination' then
        raise exception 'invalid config_type for destination config';
    end if;
    if (destination ->> 'implementation') = 'column' and (chunking ->> 'implementation') <> 'none' then
        raise exception 'chunking must be none for column destination';
    end if;
end
$fn$;

-- Resolves the destination shorthand into the stored form. As in pgai 0.12.1 the view always lands
-- in the source schema: a view_schema argument is ignored (see README, "deliberate copies").
create or replace function ai._evaluate_destination
( destination jsonb
, source_schema name
, source_table name
) returns jsonb
language plpgsql stable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _shorthand text = destination ->> 'destination';
    _target_schema name;
    _target_table name;
    _view_name name;
begin
    case destination ->> 'implementation'
    when 'table' then
        _target_schema = coalesce(destination ->> 'target_schema', source_schema);
        _target_table = coalesce
            ( destination ->> 'target_table'
            , _shorthand || '_store'
            , source_table || '_embedding_store'
            );
        _view_name = coalesce(destination ->> 'view_name', _shorthand, source_table || '_embedding');
        return pg_catalog.jsonb_build_object
            ( 'implementation', 'table'
            , 'config_type', 'destination'
            , 'target_schema', _target_schema
            , 'target_table', _target_table
            , 'view_schema', source_schema
            , 'view_name', _view_name
            );
    when 'column' then
        return pg_catalog.jsonb_build_object
            ( 'implementation', 'column'
            , 'config_type', 'destination'
            , 'embedding_column', destination ->> 'embedding_column'
            );
    else
        raise exception 'invalid implementation for destination config';
    end case;
end
$fn$;

create or replace function ai._validate_destination_can_create_objects(destination jsonb) returns void
language plpgsql stable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _d jsonb = destination;
begin
    if (_d ->> 'implementation') is distinct from 'table' then
        return;
    end if;
    if pg_catalog.to_regclass(pg_catalog.format('%I.%I', _d ->> 'view_schema', _d ->> 'view_name')) is not null then
        raise exception 'an object named %.% already exists. specify an alternate destination or view_name explicitly'
            , _d ->> 'view_schema', _d ->> 'view_name'
            using errcode = 'duplicate_object';
    end if;
    if pg_catalog.to_regclass(pg_catalog.format('%I.%I', _d ->> 'target_schema', _d ->> 'target_table')) is not null then
        raise exception 'an object named %.% already exists. specify an alternate destination or target_table explicitly'
            , _d ->> 'target_schema', _d ->> 'target_table'
            using errcode = 'duplicate_object';
    end if;
end
$fn$;

-------------------------------------------------------------------------------------------------
-- grant_to

create or replace function ai.grant_to(variadic grantees name[]) returns name[]
language sql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select coalesce(pg_catalog.array_agg(r.role), '{}'::name[])
    from
    ( select g::name as role
      from pg_catalog.unnest(grantees) g
      union
      select pg_catalog.btrim(d)::name
      from pg_catalog.unnest(pg_catalog.string_to_array(pg_catalog.current_setting('ai.grant_to_default', true), ',')) d
      where pg_catalog.btrim(d) <> ''
    ) r
$fn$;

create or replace function ai.grant_to() returns name[]
language sql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select ai.grant_to(variadic '{}'::name[])
$fn$;
