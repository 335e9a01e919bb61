/**
 * The vectorizer row of catalog.md §2.1 (`select to_jsonb(v) from ai.vectorizer v`) as pgai 0.12.1
 * stores it for `create_vectorizer('blog', name => 'blog_vec', loading_column('contents'),
 * embedding_openai('text-embedding-3-small', 768), formatting_python_template('$title: $chunk'))`:
 * what our installer must produce and what the worker must accept.
 */
export function contractVectorizerRow(id: number) {
  return {
    id,
    name: "blog_vec",
    disabled: false,
    source_pk: [{ pknum: 1, attnum: 1, attname: "id", typname: "integer" }],
    queue_table: `_vectorizer_q_${id}`,
    queue_schema: "ai",
    source_table: "blog",
    trigger_name: `_vectorizer_src_trg_${id}`,
    source_schema: "public",
    queue_failed_table: `_vectorizer_q_failed_${id}`,
    config: {
      loading: {
        retries: 6,
        column_name: "contents",
        config_type: "loading",
        implementation: "column",
      },
      parsing: { config_type: "parsing", implementation: "auto" },
      version: "0.12.1",
      chunking: {
        chunk_size: 800,
        separators: ["\n\n", "\n", ".", "?", "!", " ", ""],
        config_type: "chunking",
        chunk_overlap: 400,
        implementation: "recursive_character_text_splitter",
        is_separator_regex: false,
      },
      indexing: { config_type: "indexing", implementation: "none" },
      embedding: {
        model: "text-embedding-3-small",
        dimensions: 768,
        config_type: "embedding",
        api_key_name: "OPENAI_API_KEY",
        implementation: "openai",
      },
      formatting: {
        template: "$title: $chunk",
        config_type: "formatting",
        implementation: "python_template",
      },
      processing: { config_type: "processing", implementation: "default" },
      scheduling: { config_type: "scheduling", implementation: "none" },
      destination: {
        view_name: "blog_embedding",
        config_type: "destination",
        view_schema: "public",
        target_table: "blog_embedding_store",
        target_schema: "public",
        implementation: "table",
      },
    },
  };
}
