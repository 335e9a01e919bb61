-- Worker errors live in ai._vectorizer_errors; ai.vectorizer_errors becomes a view that adds the
-- vectorizer's name. Whoever could read the errors can read the view.
alter table ai.vectorizer_errors rename to _vectorizer_errors;
alter index if exists ai.vectorizer_errors_id_recorded_idx rename to _vectorizer_errors_id_recorded_idx;

create view ai.vectorizer_errors as
select e.id, e.message, e.details, e.recorded, v.name
from ai._vectorizer_errors e
left outer join ai.vectorizer v on (e.id = v.id);

do $errors_grants$
declare
    _grantee text;
begin
    for _grantee in
        select distinct case when a.grantee = 0 then 'public' else pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) end
        from pg_catalog.pg_class c
        cross join lateral pg_catalog.aclexplode(c.relacl) a
        where c.oid = 'ai._vectorizer_errors'::regclass
          and a.privilege_type = 'SELECT'
          and a.grantee <> c.relowner
    loop
        execute pg_catalog.format('grant select on ai.vectorizer_errors to %s', _grantee);
    end loop;
end
$errors_grants$;
