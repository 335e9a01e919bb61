-- Vectorizers can be paused.
alter table ai.vectorizer add column if not exists disabled bool not null default false;
