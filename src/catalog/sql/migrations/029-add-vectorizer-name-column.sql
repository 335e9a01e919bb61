-- Vectorizers get a unique, user-facing name. Existing ones are named after their destination;
-- a name that would be invalid or taken falls back to vectorizer_<id>.
alter table ai.vectorizer add column if not exists name name;

do $vectorizer_names$
declare
    _vec record;
    _name name;
begin
    for _vec in select v.* from ai.vectorizer v where v.name is null order by v.id
    loop
        _name = case _vec.config -> 'destination' ->> 'implementation'
            when 'column' then pg_catalog.format('%s_%s_%s', _vec.source_schema, _vec.source_table
                , _vec.config -> 'destination' ->> 'embedding_column')
            else pg_catalog.format('%s_%s', _vec.config -> 'destination' ->> 'target_schema'
                , _vec.config -> 'destination' ->> 'target_table')
        end;
        if _name is null
           or _name !~ '^[a-z][a-z_0-9]*$'
           or exists (select 1 from ai.vectorizer o where o.name = _name) then
            _name = pg_catalog.concat('vectorizer_', _vec.id);
        end if;
        update ai.vectorizer set name = _name where id = _vec.id;
    end loop;
end
$vectorizer_names$;

alter table ai.vectorizer
    alter column name set not null
  , add constraint vectorizer_name_check check (name ~ '^[a-z][a-z_0-9]*$')
  , add constraint vectorizer_name_unique unique (name);
