-- The column to embed moves from chunking.chunk_column to a loading config (column loader with the
-- default 6 retries) plus automatic parsing; such configs now carry the library version.
update ai.vectorizer v
set config = (v.config #- '{chunking,chunk_column}')
    || pg_catalog.jsonb_build_object
       ( 'loading', pg_catalog.jsonb_build_object
           ( 'implementation', 'column'
           , 'config_type', 'loading'
           , 'column_name', v.config -> 'chunking' ->> 'chunk_column'
           , 'retries', 6
           )
       , 'parsing', pg_catalog.jsonb_build_object('implementation', 'auto', 'config_type', 'parsing')
       , 'version', '@pgai_version@'
       )
where v.config -> 'chunking' ? 'chunk_column';
