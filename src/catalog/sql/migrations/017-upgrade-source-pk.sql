-- source_pk records full SQL type names (format_type) instead of bare pg_type names.
update ai.vectorizer v
set source_pk = pk.source_pk
from
( select v2.id
  , pg_catalog.jsonb_agg
    ( pg_catalog.jsonb_build_object
      ( 'attnum', a.attnum
      , 'pknum', (e.item ->> 'pknum')::int4
      , 'attname', a.attname
      , 'typname', pg_catalog.format_type(a.atttypid, a.atttypmod)
      )
      order by a.attnum
    ) as source_pk
  from ai.vectorizer v2
  cross join lateral pg_catalog.jsonb_array_elements(v2.source_pk) e(item)
  join pg_catalog.pg_attribute a
    on a.attrelid = pg_catalog.to_regclass(pg_catalog.format('%I.%I', v2.source_schema, v2.source_table))
   and a.attname = (e.item ->> 'attname')
   and not a.attisdropped
  group by v2.id
) pk
where v.id = pk.id;
