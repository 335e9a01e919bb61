-- Sample data for `docker compose --profile example up`: a small blog table and
-- a vectorizer that embeds it with Ollama's nomic-embed-text (768 dimensions),
-- pulled by the compose `ollama-pull` service. Safe to run more than once.
--
-- Watch the worker fill the embeddings:
--   docker compose exec postgres psql -U postgres -c \
--     "select id, title, chunk from public.blog_embeddings order by id, chunk_seq"

create table if not exists public.blog (
  id int primary key,
  title text not null,
  contents text not null
);

insert into public.blog (id, title, contents) values
  (1, 'Getting started with PostgreSQL',
   'PostgreSQL is a powerful open source relational database. It supports JSON, full text search and extensions such as pgvector.'),
  (2, 'What is a vector embedding?',
   'An embedding maps text to a point in a high-dimensional space, so that texts with similar meaning end up close to each other.'),
  (3, 'Keeping embeddings in sync',
   'A vectorizer watches a table and re-embeds rows whenever they are inserted or updated. A worker does the embedding in the background.')
on conflict (id) do nothing;

select ai.create_vectorizer(
  'public.blog'::regclass,
  name => 'blog_ollama',
  loading => ai.loading_column('contents'),
  embedding => ai.embedding_ollama('nomic-embed-text', 768, base_url => 'http://ollama:11434'),
  chunking => ai.chunking_recursive_character_text_splitter(512, 64),
  formatting => ai.formatting_python_template('$title: $chunk'),
  destination => ai.destination_table('blog_embeddings'),
  if_not_exists => true
);
