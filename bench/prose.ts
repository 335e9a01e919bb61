/**
 * Deterministic, varied prose for the benchmark's source rows.
 *
 * The benchmark needs realistic text in a realistic shape: paragraphs of sentences of mixed
 * length, so that default recursive chunking (800 characters, 400 overlap, paragraph then line
 * then sentence separators) splits a ~1,450-character row into about three chunks, as it would
 * split an article. A seeded PRNG makes every run embed exactly the same text, so figures from
 * different runs and machines are comparable. The vocabulary below is written for this file.
 */

const NOUNS = (
  "harbor lantern orchard engine river ledger cabinet meadow signal winter compass tunnel " +
  "garden archive bridge kettle ribbon violin workshop canyon shelter mirror pebble market " +
  "railway village beacon notebook island forest quarry satchel chimney glacier blanket " +
  "telescope ferry library window harvest thunder pantry clock canvas festival basket " +
  "mountain tailor courtyard fountain ladder bakery meadowlark journey letter stairway " +
  "cellar helmet anchor hammock pigeon saddle wagon lighthouse puzzle orchestra candle " +
  "feather estuary granary merchant sailor weaver farmer teacher painter miller captain " +
  "doctor student neighbor traveler gardener engineer printer baker fisherman shepherd " +
  "carpenter mechanic poet stranger council committee museum station factory warehouse"
).split(" ");

const ADJECTIVES = (
  "quiet amber narrow bright hollow gentle crooked silver restless patient distant " +
  "weathered humble curious sturdy faded golden tangled careful early late muddy " +
  "polished crowded empty ancient modern frozen warm bitter sweet hidden open busy " +
  "lonely noisy slow sudden steady clever rough smooth heavy light green scarlet"
).split(" ");

const VERBS = (
  "carried mended watched followed painted counted gathered opened repaired measured " +
  "noticed borrowed traded sheltered folded lifted crossed remembered answered guarded " +
  "described planted polished collected explained visited delivered sketched balanced " +
  "questioned arranged welcomed recorded tested replaced finished started studied"
).split(" ");

const ADVERBS = (
  "slowly quietly carefully eagerly rarely often gladly briefly nearly suddenly " +
  "patiently softly boldly plainly warmly"
).split(" ");

const CONNECTIVES = (
  "and then;but later;while;because;although;so that;until;after;before;as soon as;" +
  "even though;whenever"
).split(";");

const PREPOSITIONS = "near;beyond;under;beside;behind;across;inside;along;above;toward".split(
  ";",
);

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same sequence everywhere. */
export class Prng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)]!;
  }
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function phrase(rng: Prng): string {
  const parts = [`the ${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}`];
  const verb = rng.pick(VERBS);
  if (rng.next() < 0.3) parts.push(rng.pick(ADVERBS));
  parts.push(verb, `the ${rng.pick(NOUNS)}`);
  if (rng.next() < 0.5) parts.push(rng.pick(PREPOSITIONS), `the ${rng.pick(NOUNS)}`);
  return parts.join(" ");
}

/** One sentence of 8 to ~30 words, ending with `.`, `?` or `!`. */
export function sentence(rng: Prng): string {
  let text = phrase(rng);
  const clauses = rng.int(0, 2);
  for (let i = 0; i < clauses; i++) text += `, ${rng.pick(CONNECTIVES)} ${phrase(rng)}`;
  const r = rng.next();
  const end = r < 0.86 ? "." : r < 0.94 ? "?" : "!";
  return capitalize(text) + end;
}

/** A paragraph of roughly `target` characters (whole sentences). */
export function paragraph(rng: Prng, target: number): string {
  let text = sentence(rng);
  while (text.length < target - 60) text += " " + sentence(rng);
  return text;
}

/** A title of two to five words, e.g. "Amber Harbor near the Lantern". */
export function title(rng: Prng): string {
  const words = [capitalize(rng.pick(ADJECTIVES)), capitalize(rng.pick(NOUNS))];
  if (rng.next() < 0.6) words.push(rng.pick(PREPOSITIONS), "the", capitalize(rng.pick(NOUNS)));
  return words.join(" ");
}

/**
 * A body of about `length` characters: paragraphs of 220-420 characters separated by blank
 * lines, occasionally with a single line break inside a paragraph. Stops at the first paragraph
 * boundary past `length - 40`, so bodies vary by a few dozen characters around the target.
 */
export function body(rng: Prng, length: number): string {
  const paragraphs: string[] = [];
  let size = 0;
  while (size < length - 40) {
    const remaining = length - size;
    const target = remaining < 520 ? remaining : rng.int(220, 420);
    let p = paragraph(rng, target);
    if (rng.next() < 0.15) {
      const cut = p.indexOf(". ", p.length >> 1);
      if (cut > 0) p = p.slice(0, cut + 1) + "\n" + p.slice(cut + 2);
    }
    paragraphs.push(p);
    size += p.length + 2;
  }
  return paragraphs.join("\n\n");
}

/** One source row of the benchmark table. */
export interface ProseRow {
  readonly id: number;
  readonly title: string;
  readonly body: string;
}

/**
 * `count` rows with ids `firstId..` whose bodies are about `length` characters each. Row `i`
 * depends only on `seed` and its id, so any slice of the data set can be regenerated alone.
 */
export function* proseRows(
  count: number,
  length: number,
  seed = 1,
  firstId = 1,
): Generator<ProseRow> {
  for (let id = firstId; id < firstId + count; id++) {
    const rng = new Prng(Math.imul(seed, 0x9e3779b1) ^ Math.imul(id, 0x85ebca6b));
    yield { id, title: title(rng), body: body(rng, length) };
  }
}
