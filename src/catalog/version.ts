/**
 * The pgai library version whose catalog this installer reproduces. Written to
 * `ai.pgai_lib_version` and into every vectorizer's `config.version`; keep it equal to the CLI's
 * version constant.
 */
export const PGAI_VERSION = "0.12.1";
