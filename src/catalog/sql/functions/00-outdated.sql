-- Functions of older catalogs that CREATE OR REPLACE cannot turn into ours are dropped first:
-- superseded overloads (other argument types), and same-typed ones whose parameter names, result
-- type, kind or number of defaults differ. Functions owned by an extension are never touched, nor
-- are per-vectorizer trigger functions. A function is only dropped when nothing but other
-- functions of this catalog depends on it (those are recreated right after).
-- Placeholders: @extschema:vector@. The list is checked against a fresh install by the tests.

do $outdated_functions$
declare
    _stale record;
    _blockers text;
begin
    create temp table pgai_catalog_function
    ( name name not null
    , identity text not null
    , result text not null
    , defaults int2 not null
    ) on commit drop;

    insert into pg_temp.pgai_catalog_function (name, identity, result, defaults) values
      ('_evaluate_destination', 'destination jsonb, source_schema name, source_table name', 'jsonb', 0)
    , ('_resolve_indexing_default', '', 'jsonb', 0)
    , ('_resolve_scheduling_default', '', 'jsonb', 0)
    , ('_validate_chunking', 'config jsonb', 'void', 0)
    , ('_validate_destination', 'destination jsonb, chunking jsonb', 'void', 0)
    , ('_validate_destination_can_create_objects', 'destination jsonb', 'void', 0)
    , ('_validate_embedding', 'config jsonb', 'void', 0)
    , ('_validate_formatting', 'config jsonb, source_schema name, source_table name', 'void', 0)
    , ('_validate_formatting_python_template', 'config jsonb, source_schema name, source_table name', 'void', 0)
    , ('_validate_indexing', 'config jsonb', 'void', 0)
    , ('_validate_indexing_diskann', 'config jsonb', 'void', 0)
    , ('_validate_indexing_hnsw', 'config jsonb', 'void', 0)
    , ('_validate_loading', 'config jsonb, source_schema name, source_table name', 'void', 0)
    , ('_validate_parsing', 'parsing jsonb, loading jsonb, source_schema name, source_table name', 'void', 0)
    , ('_validate_processing', 'config jsonb', 'void', 0)
    , ('_validate_scheduling', 'config jsonb', 'void', 0)
    , ('_vectorizer_add_embedding_column', 'source_schema name, source_table name, dimensions integer, embedding_column name', 'void', 0)
    , ('_vectorizer_build_trigger_definition', 'queue_schema name, queue_table name, target_schema name, target_table name, source_schema name, source_table name, source_pk jsonb', 'text', 0)
    , ('_vectorizer_create_destination_column', 'source_schema name, source_table name, dimensions integer, destination jsonb', 'void', 0)
    , ('_vectorizer_create_destination_table', 'source_schema name, source_table name, source_pk jsonb, dimensions integer, destination jsonb, grant_to name[]', 'void', 0)
    , ('_vectorizer_create_queue_failed_table', 'queue_schema name, queue_failed_table name, source_pk jsonb, grant_to name[]', 'void', 0)
    , ('_vectorizer_create_queue_table', 'queue_schema name, queue_table name, source_pk jsonb, grant_to name[]', 'void', 0)
    , ('_vectorizer_create_source_trigger', 'trigger_name name, queue_schema name, queue_table name, source_schema name, source_table name, target_schema name, target_table name, source_pk jsonb', 'void', 0)
    , ('_vectorizer_create_target_table', 'source_pk jsonb, target_schema name, target_table name, dimensions integer, grant_to name[]', 'void', 0)
    , ('_vectorizer_create_vector_index', 'target_schema name, target_table name, indexing jsonb, column_name name', 'void', 1)
    , ('_vectorizer_create_view', 'view_schema name, view_name name, source_schema name, source_table name, source_pk jsonb, target_schema name, target_table name, grant_to name[]', 'void', 0)
    , ('_vectorizer_grant_to_source', 'source_schema name, source_table name, grant_to name[]', 'void', 0)
    , ('_vectorizer_grant_to_vectorizer', 'grant_to name[]', 'void', 0)
    , ('_vectorizer_job', 'IN job_id integer, IN config jsonb', 'void', 2)
    , ('_vectorizer_schedule_job', 'vectorizer_id integer, scheduling jsonb', 'bigint', 0)
    , ('_vectorizer_should_create_vector_index', 'vectorizer ai.vectorizer', 'boolean', 0)
    , ('_vectorizer_source_pk', 'source_table regclass', 'jsonb', 0)
    , ('_vectorizer_vector_index_exists', 'target_schema name, target_table name, indexing jsonb, column_name name', 'boolean', 1)
    , ('_worker_heartbeat', 'worker_id uuid, num_successes_since_last_heartbeat integer, num_errors_since_last_heartbeat integer, error_message text', 'void', 0)
    , ('_worker_progress', 'worker_id uuid, worker_vectorizer_id integer, num_successes integer, error_message text', 'void', 0)
    , ('_worker_start', 'version text, expected_heartbeat_interval interval', 'uuid', 0)
    , ('chunking_character_text_splitter', 'chunk_size integer, chunk_overlap integer, separator text, is_separator_regex boolean', 'jsonb', 4)
    , ('chunking_none', '', 'jsonb', 0)
    , ('chunking_recursive_character_text_splitter', 'chunk_size integer, chunk_overlap integer, separators text[], is_separator_regex boolean', 'jsonb', 4)
    , ('create_vectorizer', 'source regclass, name text, destination jsonb, loading jsonb, parsing jsonb, embedding jsonb, chunking jsonb, indexing jsonb, formatting jsonb, scheduling jsonb, processing jsonb, queue_schema name, queue_table name, grant_to name[], enqueue_existing boolean, if_not_exists boolean', 'integer', 15)
    , ('destination_column', 'embedding_column name', 'jsonb', 0)
    , ('destination_table', 'destination name, target_schema name, target_table name, view_schema name, view_name name', 'jsonb', 5)
    , ('disable_vectorizer_schedule', 'name text', 'void', 0)
    , ('disable_vectorizer_schedule', 'vectorizer_id integer', 'void', 0)
    , ('drop_vectorizer', 'name text, drop_all boolean', 'void', 1)
    , ('drop_vectorizer', 'vectorizer_id integer, drop_all boolean', 'void', 1)
    , ('embedding_litellm', 'model text, dimensions integer, api_key_name text, extra_options jsonb', 'jsonb', 2)
    , ('embedding_ollama', 'model text, dimensions integer, base_url text, options jsonb, keep_alive text', 'jsonb', 3)
    , ('embedding_openai', 'model text, dimensions integer, chat_user text, api_key_name text, base_url text', 'jsonb', 3)
    , ('embedding_voyageai', 'model text, dimensions integer, input_type text, api_key_name text', 'jsonb', 2)
    , ('enable_vectorizer_schedule', 'name text', 'void', 0)
    , ('enable_vectorizer_schedule', 'vectorizer_id integer', 'void', 0)
    , ('execute_vectorizer', 'vectorizer_name text', 'void', 0)
    , ('formatting_python_template', 'template text', 'jsonb', 1)
    , ('grant_to', '', 'name[]', 0)
    , ('grant_to', 'VARIADIC grantees name[]', 'name[]', 0)
    , ('grant_vectorizer_usage', 'to_user name, admin boolean', 'void', 1)
    , ('indexing_default', '', 'jsonb', 0)
    , ('indexing_diskann', 'min_rows integer, storage_layout text, num_neighbors integer, search_list_size integer, max_alpha double precision, num_dimensions integer, num_bits_per_dimension integer, create_when_queue_empty boolean', 'jsonb', 8)
    , ('indexing_hnsw', 'min_rows integer, opclass text, m integer, ef_construction integer, create_when_queue_empty boolean', 'jsonb', 5)
    , ('indexing_none', '', 'jsonb', 0)
    , ('loading_column', 'column_name name, retries integer', 'jsonb', 1)
    , ('loading_uri', 'column_name name, retries integer, aws_role_arn text', 'jsonb', 2)
    , ('parsing_auto', '', 'jsonb', 0)
    , ('parsing_docling', '', 'jsonb', 0)
    , ('parsing_none', '', 'jsonb', 0)
    , ('parsing_pymupdf', '', 'jsonb', 0)
    , ('processing_default', 'batch_size integer, concurrency integer', 'jsonb', 2)
    , ('scheduling_default', '', 'jsonb', 0)
    , ('scheduling_none', '', 'jsonb', 0)
    , ('scheduling_timescaledb', 'schedule_interval interval, initial_start timestamp with time zone, fixed_schedule boolean, timezone text', 'jsonb', 4)
    , ('set_scheduling', 'vectorizer_id integer, scheduling jsonb, indexing jsonb', 'jsonb', 2)
    , ('vectorizer_embed', 'embedding_config jsonb, input_text text, input_type text', '@extschema:vector@.vector', 1)
    , ('vectorizer_embed', 'name text, input_text text, input_type text', '@extschema:vector@.vector', 1)
    , ('vectorizer_embed', 'vectorizer_id integer, input_text text, input_type text', '@extschema:vector@.vector', 1)
    , ('vectorizer_queue_pending', 'name text, exact_count boolean', 'bigint', 1)
    , ('vectorizer_queue_pending', 'vectorizer_id integer, exact_count boolean', 'bigint', 1)
    -- retired: the event trigger function of the extension era (its trigger goes in migration 028)
    , ('_vectorizer_handle_drops', '-', 'void', 0)
    ;

    for _stale in
        select p.oid
             , p.oid::regprocedure::text as signature
             , case p.prokind when 'p' then 'procedure' else 'function' end as kind
        from pg_catalog.pg_proc p
        join pg_catalog.pg_namespace s on s.oid = p.pronamespace
        where s.nspname = 'ai'
          and p.proname in (select f.name from pg_temp.pgai_catalog_function f)
          and not exists
              ( select 1 from pg_catalog.pg_depend d
                where d.classid = 'pg_catalog.pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e'
              )
          and not exists
              ( select 1 from pg_temp.pgai_catalog_function f
                where f.name = p.proname
                  and f.identity = pg_catalog.pg_get_function_identity_arguments(p.oid)
                  and pg_catalog.to_regtype(f.result) = p.prorettype
                  and f.defaults >= p.pronargdefaults
              )
        order by p.oid
    loop
        select pg_catalog.string_agg(distinct coalesce
            ( ( select pg_catalog.format('%s %s', case c.relkind when 'm' then 'materialized view' else 'view' end, c.oid::regclass)
                from pg_catalog.pg_rewrite r
                join pg_catalog.pg_class c on c.oid = r.ev_class
                where d.classid = 'pg_catalog.pg_rewrite'::regclass and r.oid = d.objid
              )
            , pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid)
            ), ', ')
        into _blockers
        from pg_catalog.pg_depend d
        where d.refclassid = 'pg_catalog.pg_proc'::regclass
          and d.refobjid = _stale.oid
          and d.deptype = 'n'
          and not
              ( d.classid = 'pg_catalog.pg_proc'::regclass
                and exists
                    ( select 1
                      from pg_catalog.pg_proc q
                      join pg_catalog.pg_namespace qs on qs.oid = q.pronamespace
                      where q.oid = d.objid
                        and qs.nspname = 'ai'
                        and q.proname in (select f.name from pg_temp.pgai_catalog_function f)
                    )
              );
        if _blockers is not null then
            raise exception 'cannot replace the outdated function %: % depend(s) on it', _stale.signature, _blockers
                using hint = 'drop or change those objects, then run the installer again';
        end if;
        if exists (select 1 from pg_catalog.pg_proc p where p.oid = _stale.oid) then
            execute pg_catalog.format('drop %s %s cascade', _stale.kind, _stale.signature);
        end if;
    end loop;
end
$outdated_functions$;
