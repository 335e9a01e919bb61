/**
 * The program's version: the one in deno.json, which is the pgai release this worker matches
 * (`pgai --version` prints `pgai, version 0.12.1`).
 */

import denoJson from "../../deno.json" with { type: "json" };

/** pgai version implemented (deno.json's `version`). */
export const VERSION: string = denoJson.version;
