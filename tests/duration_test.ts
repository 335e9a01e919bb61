import assert from "node:assert/strict";
import { DurationError, parseDuration, timeparse } from "../src/duration.ts";

// Expected values are pgai 0.12.1's (pytimeparse 1.1.8, then Python int()).
const ACCEPTED: [string, number][] = [
  // unit lists
  ["5m", 300],
  ["1h30m", 5400],
  ["1 hour, 30 minutes", 5400],
  ["1h,2m,3s", 3723],
  ["1w/2d", 777600],
  ["10S", 10],
  ["5M", 300],
  ["2 weeks 1 day", 1296000],
  ["1wk 1dy 1hr 1min 1sec", 694861],
  ["3 wks 2 dys 4 hrs 5 mins 6 secs", 2001906],
  ["1 week, 1 day, 1 hour, 1 minute, 1 second", 694861],
  ["45 seconds", 45],
  ["  30s  ", 30],
  // fractions: integer result unless the seconds field has a fraction
  ["1.5m", 90],
  ["1.5h", 5400],
  ["0.5m", 30],
  ["1.2 minutes", 72],
  ["1.5m30s", 120],
  ["0.1s", 0.1],
  ["2.5s", 2.5],
  ["1m30.5s", 90.5],
  ["1.5m0.5s", 90.5],
  [".5m", 30],
  ["1.m", 60],
  // clock forms
  ["1:30", 90],
  ["01:30", 90],
  ["1:30.5", 90.5],
  ["1:30:00", 5400],
  ["100:00:00", 360000],
  ["1:00:00:00", 86400],
  [":30", 30],
  [":30.25", 30.25],
  ["1d 1:00:00", 90000],
  ["1w 2d 3:04:05", 788645],
  ["1:00:00.5", 3600.5],
  // signs (positive ones; negative results are tested separately)
  ["+ 1 minute", 60],
  ["+5m", 300],
  ["|5m", 300],
  // plain integers with Python int() rules
  ["10", 10],
  [" 42 ", 42],
  ["+7", 7],
  ["1_000", 1000],
  ["0", 0],
  ["-0", 0],
  ["007", 7],
  // Unicode digits are decimal digits to Python
  ["٣m", 180],
  ["١٢", 12],
];

for (const [input, expected] of ACCEPTED) {
  Deno.test(`poll interval ${JSON.stringify(input)} is ${expected} seconds, as in pgai`, () => {
    assert.equal(parseDuration(input), expected);
  });
}

Deno.test("integer durations stay integers and fractional seconds make floats, as pytimeparse", () => {
  assert.equal(Number.isInteger(timeparse("1.5m")), true);
  assert.equal(Number.isInteger(timeparse("1m30.5s")), false);
  assert.equal(timeparse("90"), undefined); // bare numbers are not pytimeparse's
});

Deno.test("pytimeparse accepts negative durations and applies the sign like pgai", () => {
  assert.equal(parseDuration("-5m"), -300);
  assert.equal(parseDuration("-1m30s"), -90);
  assert.equal(parseDuration("- 1 minute"), -60);
  // integral-seconds branch: the sign applies to the non-seconds part only
  assert.equal(parseDuration("-1.5m30s"), -60);
  // float branch: the sign applies to everything
  assert.equal(parseDuration("-1.5s"), -1.5);
  assert.equal(parseDuration("-0.01m"), 0);
});

const REJECTED: [string, RegExp][] = [
  ["", /^'' is not a valid duration string or integer$/],
  ["   ", /^' {3}' is not a valid duration string or integer$/],
  ["1y", /^'1y' is not a valid duration string or integer$/],
  ["1 month", /is not a valid duration string or integer/],
  ["5 m 30", /is not a valid duration string or integer/],
  ["abc", /^'abc' is not a valid duration string or integer$/],
  ["1.5", /^'1.5' is not a valid duration string or integer$/],
  ["1e3", /is not a valid duration string or integer/],
  ["0x10", /is not a valid duration string or integer/],
  ["1__000", /is not a valid duration string or integer/],
  ["_1", /is not a valid duration string or integer/],
  ["- 5", /is not a valid duration string or integer/],
  ["1:3", /is not a valid duration string or integer/],
  ["5ms", /is not a valid duration string or integer/],
  ["5m 10m", /is not a valid duration string or integer/],
  ["30s 5m", /is not a valid duration string or integer/],
  // pytimeparse crashes on these (traceback, exit 1 in pgai); here they are invalid values
  ["1.2.3m", /^'1.2.3m' is not a valid duration string or integer$/],
  [".m", /is not a valid duration string or integer/],
  ["1\n2", /^'1\\n2' is not a valid duration string or integer$/],
  // a negative integer: pgai's own message (a NegativeDurationError)
  ["-10", /^time duration can't be negative$/],
  // beyond Python's timedelta
  ["1000000000000w", /is too long/],
  ["9".repeat(400) + ".5m", /is too long/],
];

for (const [input, message] of REJECTED) {
  Deno.test(`poll interval ${JSON.stringify(input)} is rejected with a clear message`, () => {
    assert.throws(() => parseDuration(input), (error) => {
      assert.ok(error instanceof DurationError);
      assert.match(error.message, message);
      return true;
    });
  });
}
