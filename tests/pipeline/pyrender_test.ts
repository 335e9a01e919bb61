/**
 * Column values render as the Python worker renders them: Python `str()` of what psycopg
 * returns. Expected strings were recorded from psycopg 3 (dict rows, text format) on
 * PostgreSQL 15; pgvector values follow pgvector-python's classes and numpy's printing.
 */
import assert from "node:assert/strict";
import type postgres from "postgres";
import { loadTypeCatalog } from "../../src/db/types.ts";
import { PyRenderError, renderValue } from "../../src/pipeline/pyrender.ts";
import { testDatabase } from "../support/pg.ts";

/** `[SQL expression, str() psycopg gives, or null where psycopg raises DataError]`, TimeZone UTC. */
const UTC_CASES: [string, string | null][] = [
  ["true::bool", "True"],
  ["'f'::bool", "False"],
  ["'-7'::int2", "-7"],
  ["2147483647::int4", "2147483647"],
  ["'-9223372036854775808'::int8", "-9223372036854775808"],
  ["12345::oid", "12345"],
  ["0.1::float4", "0.1"],
  ["(1.0/3)::float4", "0.33333334"],
  ["'1e-10'::float4", "1e-10"],
  ["'3.4028235e38'::float4", "3.4028235e+38"],
  ["'-0'::float4", "-0.0"],
  ["'NaN'::float4", "nan"],
  ["'Infinity'::float8", "inf"],
  ["'-Infinity'::float8", "-inf"],
  ["1e16::float8", "1e+16"],
  ["123456.789::float8", "123456.789"],
  ["5e-324::float8", "5e-324"],
  ["'0.0000001'::numeric", "1E-7"],
  ["'0.0000000'::numeric", "0E-7"],
  ["'1.0e-7'::numeric", "1.0E-7"],
  ["'-123.4500'::numeric", "-123.4500"],
  ["'NaN'::numeric", "NaN"],
  ["'Infinity'::numeric", "Infinity"],
  ["'-Infinity'::numeric", "-Infinity"],
  ["'100'::numeric(10,2)", "100.00"],
  ["'ab'::char(5)", "ab   "],
  ["'x'::\"char\"", "x"],
  ["'nm'::name", "nm"],
  ["'2024-02-29'::date", "2024-02-29"],
  ["'0001-01-01'::date", "0001-01-01"],
  ["'infinity'::date", null],
  ["'10000-01-01'::date", null],
  ["'2024-01-01 BC'::date", null],
  ["'00:00:00'::time", "00:00:00"],
  ["'23:59:59.999999'::time", "23:59:59.999999"],
  ["'24:00:00'::time", null],
  ["'13:45:00.5+02'::timetz", "13:45:00.500000+02:00"],
  ["'13:45:00-03:30'::timetz", "13:45:00-03:30"],
  ["'01:02:03+00'::timetz", "01:02:03+00:00"],
  ["'2024-01-02 03:04:05'::timestamp", "2024-01-02 03:04:05"],
  ["'2024-01-02 03:04:05.000001'::timestamp", "2024-01-02 03:04:05.000001"],
  ["'0099-01-02 03:04:05'::timestamp", "0099-01-02 03:04:05"],
  ["'infinity'::timestamp", null],
  ["'2024-01-02 03:04:05.123456+00'::timestamptz", "2024-01-02 03:04:05.123456+00:00"],
  ["'1900-01-01 00:00:00+00'::timestamptz", "1900-01-01 00:00:00+00:00"],
  ["'-infinity'::timestamptz", null],
  ["'1 day 02:03:04'::interval", "1 day, 2:03:04"],
  ["'1 year 2 mons 3 days 04:05:06.5'::interval", "428 days, 4:05:06.500000"],
  ["'-1 years -2 mons +3 days -04:05:06'::interval", "-423 days, 19:54:54"],
  ["'-00:00:01'::interval", "-1 day, 23:59:59"],
  ["'0'::interval", "0:00:00"],
  ["'41 days -990:00:00'::interval", "-1 day, 18:00:00"],
  ["'100:00:00'::interval", "4 days, 4:00:00"],
  ["'-100:00:00.25'::interval", "-5 days, 19:59:59.750000"],
  ["'2 days'::interval", "2 days, 0:00:00"],
  ["'-1 day'::interval", "-1 day, 0:00:00"],
  ["'1 mon'::interval", "30 days, 0:00:00"],
  ["'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"],
  [
    '\'{"b": [true, null, "x"], "a": 1, "ccc": {"d": 1.5}, "bb": "it\'\'s"}\'::jsonb',
    "{'a': 1, 'b': [True, None, 'x'], 'bb': \"it's\", 'ccc': {'d': 1.5}}",
  ],
  [
    "'[1, \"two\", null, true, 2.50, 1e2, 12345678901234567890, -0, 1e400]'::json",
    "[1, 'two', None, True, 2.5, 100.0, 12345678901234567890, 0, inf]",
  ],
  ['\'{"z": 1, "a": 2, "z": 3}\'::json', "{'z': 3, 'a': 2}"],
  ["'\"hello\\n\\u00e9\\ud83d\\ude00\"'::jsonb", "hello\né😀"],
  ["'\"tab\\there\"'::json", "tab\there"],
  ["'3.0'::jsonb", "3.0"],
  ["'null'::jsonb", "None"],
  [
    '\'{"k\\"ey": "va\'\'l\\"ue", "n": [[]], "e": {}}\'::jsonb',
    "{'e': {}, 'n': [[]], 'k\"ey': 'va\\'l\"ue'}",
  ],
  [
    '\'{a,b,"c d",NULL,"it\'\'s","NULL","q\\"x","back\\\\slash",""}\'::text[]',
    "['a', 'b', 'c d', None, \"it's\", 'NULL', 'q\"x', 'back\\\\slash', '']",
  ],
  ["'{1,2,3}'::int4[]", "[1, 2, 3]"],
  ["'{{1,2},{3,4}}'::int4[]", "[[1, 2], [3, 4]]"],
  ["'[0:1]={7,8}'::int4[]", "[7, 8]"],
  ["'{}'::text[]", "[]"],
  ["'{1.10,2,NULL}'::numeric[]", "[Decimal('1.10'), Decimal('2'), None]"],
  ["'{2024-01-01}'::date[]", "[datetime.date(2024, 1, 1)]"],
  [
    "'{\"2024-01-01 10:00:00+00\"}'::timestamptz[]",
    "[datetime.datetime(2024, 1, 1, 10, 0, tzinfo=zoneinfo.ZoneInfo(key='Etc/UTC'))]",
  ],
  ["'{\"2024-01-01 10:00:00\"}'::timestamp[]", "[datetime.datetime(2024, 1, 1, 10, 0)]"],
  [
    '\'{"1 day","00:00:01"}\'::interval[]',
    "[datetime.timedelta(days=1), datetime.timedelta(seconds=1)]",
  ],
  ["'{13:45:00}'::time[]", "[datetime.time(13, 45)]"],
  [
    "'{13:45:00+02}'::timetz[]",
    "[datetime.time(13, 45, tzinfo=datetime.timezone(datetime.timedelta(seconds=7200)))]",
  ],
  ["'{t,f}'::bool[]", "[True, False]"],
  ["'{0.5,NaN,-Infinity}'::float8[]", "[0.5, nan, -inf]"],
  ["'{\"\\\\x00ff\"}'::bytea[]", "[b'\\x00\\xff']"],
  [
    "'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'::uuid[]",
    "[UUID('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')]",
  ],
  ['\'{"{\\"a\\": 1}","[1, 2]"}\'::jsonb[]', "[{'a': 1}, [1, 2]]"],
  [
    "'{192.168.0.1,10.1.2.3/8}'::inet[]",
    "[IPv4Address('192.168.0.1'), IPv4Interface('10.1.2.3/8')]",
  ],
  ["'{10.0.0.0/8}'::cidr[]", "[IPv4Network('10.0.0.0/8')]"],
  ['\'{"(1,2)","(3,4)"}\'::point[]', "['(1,2)', '(3,4)']"],
  ['\'{"(1,1),(0,0)";"(2,2),(1,1)"}\'::box[]', "['(1,1),(0,0)', '(2,2),(1,1)']"],
  ["'{$1.00}'::money[]", "['$1.00']"],
  ["'{happy,sad}'::mood[]", "{happy,sad}"],
  ["'{\"[1,5)\",empty}'::int4range[]", "[Range(1, 5, '[)'), Range(empty=True)]"],
  ["'\\x00ff41275c22'::bytea", "b'\\x00\\xffA\\'\\\\\"'"],
  ["'\\x'::bytea", "b''"],
  ["'192.168.0.1'::inet", "192.168.0.1"],
  ["'10.1.2.3/8'::inet", "10.1.2.3/8"],
  ["'192.168.0.1/32'::inet", "192.168.0.1"],
  ["'::ffff:1.2.3.4'::inet", "::ffff:102:304"],
  ["'2001:db8::1/64'::inet", "2001:db8::1/64"],
  ["'1:0:0:1:0:0:0:1'::inet", "1:0:0:1::1"],
  ["'10.0.0.0/8'::cidr", "10.0.0.0/8"],
  ["'2001:db8::/32'::cidr", "2001:db8::/32"],
  ["'[1,5)'::int4range", "[1, 5)"],
  ["'empty'::int4range", "empty"],
  ["'(,)'::int8range", "(None, None)"],
  ["'[1.5,2.50]'::numrange", "[1.5, 2.50]"],
  ["'[2024-01-01,)'::daterange", "[2024-01-01, None)"],
  [
    '\'["2024-01-01 00:00:00","2024-01-02 00:00:00")\'::tsrange',
    "[2024-01-01 00:00:00, 2024-01-02 00:00:00)",
  ],
  ["'[\"2024-01-01 00:00:00+00\",)'::tstzrange", "[2024-01-01 00:00:00+00:00, None)"],
  ["'{[1,3), [5,7)}'::int4multirange", "{[1, 3), [5, 7)}"],
  ["'{}'::int4multirange", "{}"],
  ["'12.34'::money", "$12.34"],
  ["'happy'::mood", "happy"],
  ["'(1,x)'::pair", "(1,x)"],
  ["'(1,2)'::point", "(1,2)"],
  ["'<a>1</a>'::xml", "<a>1</a>"],
  ["'101'::bit(3)", "101"],
  ["'a:1 b:2'::tsvector", "'a':1 'b':2"],
  ["'08:00:2b:01:02:03'::macaddr", "08:00:2b:01:02:03"],
  ["'0/16B3748'::pg_lsn", "0/16B3748"],
  ["'$.a'::jsonpath", '$."a"'],
  ["'pg_class'::regclass", "pg_class"],
];

/** The same kind of values with TimeZone America/New_York. */
const NEW_YORK_CASES: [string, string | null][] = [
  ["'2024-01-02 03:04:05.123456+00'::timestamptz", "2024-01-01 22:04:05.123456-05:00"],
  ["'1900-01-01 00:00:00+00'::timestamptz", "1899-12-31 19:00:00-05:00"],
  [
    "'{\"2024-01-01 10:00:00+00\"}'::timestamptz[]",
    "[datetime.datetime(2024, 1, 1, 5, 0, tzinfo=zoneinfo.ZoneInfo(key='America/New_York'))]",
  ],
  ["'[\"2024-01-01 00:00:00+00\",)'::tstzrange", "[2023-12-31 19:00:00-05:00, None)"],
];

/** pgvector types: numpy float32 arrays for vector, HalfVector / SparseVector objects. */
const VECTOR_CASES: [string, string][] = [
  ["'[1,2.5,3]'::vector", "[1.  2.5 3. ]"],
  ["'[1,2,3]'::vector", "[1. 2. 3.]"],
  ["'[0.1,0.2,0.00001]'::vector", "[1.e-01 2.e-01 1.e-05]"],
  ["'[-1.5,2,0]'::vector", "[-1.5  2.   0. ]"],
  ["'[0.00195312,1]'::vector", "[0.00195312 1.        ]"],
  [
    "array_to_string(array(select (i * 0.123456)::real from generate_series(0, 19) i), ',', '')::text",
    "0,0.123456,0.246912,0.370368,0.493824,0.61728,0.740736,0.864192,0.987648,1.111104,1.23456,1.358016,1.481472,1.604928,1.728384,1.85184,1.975296,2.098752,2.222208,2.345664",
  ],
  [
    "('[' || array_to_string(array(select (i * 0.123456)::real from generate_series(0, 19) i), ',') || ']')::vector",
    "[0.       0.123456 0.246912 0.370368 0.493824 0.61728  0.740736 0.864192\n 0.987648 1.111104 1.23456  1.358016 1.481472 1.604928 1.728384 1.85184\n 1.975296 2.098752 2.222208 2.345664]",
  ],
  [
    "('[' || array_to_string(array(select sin(i)::real from generate_series(0, 1535) i), ',') || ']')::vector",
    "[ 0.          0.84147096  0.9092974  ... -0.09706189  0.7850551\n  0.94539607]",
  ],
  ["array['[1,2,3]'::vector]", "[array([1., 2., 3.], dtype=float32)]"],
  ["'[1,2.5,0.1]'::halfvec", "HalfVector([1.0, 2.5, 0.0999755859375])"],
  ["'{1:1.5,3:2}/5'::sparsevec", "SparseVector({0: 1.5, 2: 2.0}, 5)"],
  ["'{}/3'::sparsevec", "SparseVector({}, 3)"],
];

async function render(sql: postgres.Sql, expr: string, timeZone: string): Promise<string> {
  const result = await sql.unsafe(`select ${expr} as v`).raw();
  const column = result.columns[0]!;
  const raw = (result[0] as unknown as (Uint8Array | null)[])[0] ?? null;
  const text = raw === null ? null : new TextDecoder().decode(raw);
  const types = await loadTypeCatalog(sql, [column.type]);
  return renderValue(text, column.type, { types, timeZone });
}

async function check(sql: postgres.Sql, cases: [string, string | null][], timeZone: string) {
  await sql.unsafe(`select set_config('TimeZone', $1, false)`, [timeZone]);
  for (const [expr, expected] of cases) {
    if (expected === null) {
      await assert.rejects(render(sql, expr, timeZone), PyRenderError, expr);
    } else {
      assert.equal(await render(sql, expr, timeZone), expected, expr);
    }
  }
}

Deno.test("values of every built-in kind render as psycopg's Python objects print", async () => {
  await using db = await testDatabase("pipeline_pyrender");
  await db.sql.unsafe("create type mood as enum ('sad', 'ok', 'happy')");
  await db.sql.unsafe("create type pair as (a int, b text)");
  const conn = await db.sql.reserve();
  try {
    await conn.unsafe("set DateStyle = 'ISO, MDY'; set IntervalStyle = 'postgres'");
    await check(conn, UTC_CASES, "Etc/UTC");
    await check(conn, NEW_YORK_CASES, "America/New_York");
    await check(conn, VECTOR_CASES, "Etc/UTC");
  } finally {
    conn.release();
  }
});

Deno.test("timestamptz falls back to UTC where Python cannot load the session zone", async () => {
  await using db = await testDatabase("pipeline_pyrender_tz");
  const conn = await db.sql.reserve();
  try {
    const cases: [string, string, string][] = [
      ["Europe/Amsterdam", "'1900-01-01 00:00:00+00'::timestamptz", "1900-01-01 00:19:32+00:19:32"],
      ["Europe/Amsterdam", "'2024-07-01 12:00:00+00'::timestamptz", "2024-07-01 14:00:00+02:00"],
      ["<+03>-03", "'2024-07-01 12:00:00+00'::timestamptz", "2024-07-01 12:00:00+00:00"],
      [
        "UTC",
        "array['2024-07-01 12:00:00+00'::timestamptz]",
        "[datetime.datetime(2024, 7, 1, 12, 0, tzinfo=datetime.timezone.utc)]",
      ],
      ["EST5EDT", "'2024-07-01 12:00:00+00'::timestamptz", "2024-07-01 08:00:00-04:00"],
    ];
    for (const [zone, expr, expected] of cases) {
      await conn.unsafe(`select set_config('TimeZone', $1, false)`, [zone]);
      assert.equal(await render(conn, expr, zone), expected, `${zone} ${expr}`);
    }
  } finally {
    conn.release();
  }
});

Deno.test("NULL renders as None and unknown type OIDs render as their text", () => {
  assert.equal(renderValue(null, 25), "None");
  assert.equal(renderValue("(1,x)", 987654), "(1,x)");
});
