-- The embedding "truncate" option is gone from stored configs.
update ai.vectorizer
set config = config #- '{embedding,truncate}'
where config -> 'embedding' ? 'truncate';
