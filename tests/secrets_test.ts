import assert from "node:assert/strict";
import {
  isSecretEnvName,
  maskDbUrl,
  maskSecrets,
  registerDbUrlSecrets,
  registerEnvSecrets,
  registerSecret,
} from "../src/secrets.ts";

Deno.test("maskDbUrl hides the password of postgres URLs and keeps everything else", () => {
  const cases: [string, string][] = [
    ["postgres://user:secret@host/db", "postgres://user:****@host/db"],
    [
      "postgresql://user:secret@host:5432/db?sslmode=require",
      "postgresql://user:****@host:5432/db?sslmode=require",
    ],
    ["postgres://user:p%40ss@h1:5432,h2:5433/db", "postgres://user:****@h1:5432,h2:5433/db"],
    ["postgres://user:p@ss@host/db", "postgres://user:****@host/db"], // unencoded @
    ["postgres://user:pa/ss@host/db", "postgres://user:****@host/db"], // unencoded /
    ["postgres://:secret@host/db", "postgres://:****@host/db"],
    ["postgres://postgres@localhost:5432/postgres", "postgres://postgres@localhost:5432/postgres"],
    ["postgres://localhost/db", "postgres://localhost/db"],
    ["postgres://u@host/db?password=secret&sslmode=require", "postgres://u@host/db?password=****"],
    ["host=db user=u password=secret dbname=x", "host=db user=u password=**** dbname=x"],
    ["host=db password = 'se cr\\'et' dbname=x", "host=db password = **** dbname=x"],
  ];
  for (const [input, expected] of cases) assert.equal(maskDbUrl(input), expected, input);
});

Deno.test("maskSecrets hides URL passwords anywhere in a text", () => {
  assert.equal(
    maskSecrets("could not connect to postgres://app:hunter22@db:5432/app (timeout)"),
    "could not connect to postgres://app:****@db:5432/app (timeout)",
  );
  assert.equal(
    maskSecrets("proxy http://me:pw123456@proxy:3128 and PGPASSWORD=abc123"),
    "proxy http://me:****@proxy:3128 and PGPASSWORD=****",
  );
  assert.equal(maskSecrets("no secrets here: 1 + 1 = 2"), "no secrets here: 1 + 1 = 2");
});

Deno.test("registered secrets are masked wherever they appear, longest first", () => {
  registerSecret("sk-test-0123456789abcdef");
  registerSecret("sk-test-0123");
  registerSecret("abc"); // too short to register: would garble ordinary text
  registerSecret("");
  assert.equal(
    maskSecrets("key sk-test-0123456789abcdef and prefix sk-test-0123 in 'abc'"),
    "key **** and prefix **** in 'abc'",
  );
});

Deno.test("secret-looking environment variables are registered by name", () => {
  assert.ok(isSecretEnvName("OPENAI_API_KEY"));
  assert.ok(isSecretEnvName("HF_TOKEN"));
  assert.ok(isSecretEnvName("AWS_SECRET_ACCESS_KEY"));
  assert.ok(isSecretEnvName("CLIENT_SECRET"));
  assert.ok(isSecretEnvName("PGPASSWORD"));
  assert.ok(!isSecretEnvName("PGAI_VECTORIZER_WORKER_DB_URL"));
  assert.ok(!isSecretEnvName("HOME"));
  registerEnvSecrets({ VOYAGE_API_KEY: "pa-voyage-key-1", HOME: "/home/worker" });
  assert.equal(maskSecrets("key=pa-voyage-key-1 home=/home/worker"), "key=**** home=/home/worker");
});

Deno.test("the database password is registered raw and percent-decoded", () => {
  registerDbUrlSecrets("postgres://app:s3cr%2Ft-pw@db/app");
  assert.equal(
    maskSecrets("auth failed for s3cr/t-pw and s3cr%2Ft-pw"),
    "auth failed for **** and ****",
  );
  registerDbUrlSecrets("host=db password='conninfo pw'");
  assert.equal(maskSecrets("got conninfo pw back"), "got **** back");
});
