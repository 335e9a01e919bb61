-- Embeddings are stored inline (storage MAIN) in every existing target table.
do $vec_storage$
declare
    _target record;
begin
    for _target in
        select v.target_schema, v.target_table
        from ai.vectorizer v
        where pg_catalog.to_regclass(pg_catalog.format('%I.%I', v.target_schema, v.target_table)) is not null
    loop
        execute pg_catalog.format
            ( 'alter table %I.%I alter column embedding set storage main'
            , _target.target_schema, _target.target_table
            );
    end loop;
end
$vec_storage$;
