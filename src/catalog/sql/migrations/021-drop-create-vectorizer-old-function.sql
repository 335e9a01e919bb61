-- create_vectorizer before loading/parsing existed.
drop function if exists ai.create_vectorizer
( regclass, name, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb
, name, name, name, name, name, name, name[], bool
);
