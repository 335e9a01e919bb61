-- Items whose loading kept failing are parked in a per-vectorizer failed queue.
alter table ai.vectorizer add column if not exists queue_failed_table name;
