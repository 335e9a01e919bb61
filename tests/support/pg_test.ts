import assert from "node:assert/strict";
import { testDatabase } from "./pg.ts";

Deno.test("test database round-trips a vector(3) value through pgvector", async () => {
  await using db = await testDatabase("support_pg");
  await db.sql`create table v (id int primary key, e vector(3))`;
  await db.sql`insert into v values (1, '[1,2.5,-3]')`;
  const [row] = await db.sql`select e::text as e, vector_dims(e) as d from v where id = 1`;
  assert.equal(row?.e, "[1,2.5,-3]");
  assert.equal(row?.d, 3);
});

Deno.test("each test database is isolated from the others", async () => {
  await using a = await testDatabase("support_iso_a");
  await using b = await testDatabase("support_iso_b");
  await a.sql`create table only_in_a (x int)`;
  const rows = await b.sql`select 1 from pg_class where relname = 'only_in_a'`;
  assert.equal(rows.length, 0);
  assert.notEqual(a.name, b.name);
});
