-- Queue rows remember how often loading failed and when to try again.
do $queue_retries$
declare
    _queue record;
begin
    for _queue in
        select v.queue_schema, v.queue_table
        from ai.vectorizer v
        where pg_catalog.to_regclass(pg_catalog.format('%I.%I', v.queue_schema, v.queue_table)) is not null
    loop
        execute pg_catalog.format
            ( 'alter table %I.%I add column if not exists loading_retries int4 not null default 0, '
              'add column if not exists loading_retry_after timestamptz'
            , _queue.queue_schema, _queue.queue_table
            );
    end loop;
end
$queue_retries$;
