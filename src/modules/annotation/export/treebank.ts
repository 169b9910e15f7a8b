/**
 * The word tokenizer Label Studio's converter uses for CONLL2003: NLTK's Penn Treebank
 * tokenizer with the converter's own punctuation rules (it also splits `/`, and keeps
 * `3.99` whole), then each token located in the original text. Written from NLTK's rules,
 * so exported tokens line up with what Label Studio writes for the same text.
 */

type Rule = [RegExp, string];

// Python's `$` (without MULTILINE) also matches before a final newline.
const END = '(?=\\n?$)';
// Python's `\b` is Unicode-aware; JavaScript's is not even with the `u` flag.
const WORD = '[\\p{L}\\p{N}_]';
const B_START = `(?<!${WORD})`;
const B_END = `(?!${WORD})`;

const STARTING_QUOTES: Rule[] = [
  [/^"/u, '``'],
  [/(``)/gu, ' $1 '],
  [/([ ([{<])("|'{2})/gu, '$1 `` '],
];

/** The converter's replacement for NLTK's PUNCTUATION list. */
const PUNCTUATION: Rule[] = [
  [/([:,])([^\p{Nd}])/gu, ' $1 $2'],
  [new RegExp(`([:,])${END}`, 'gu'), ' $1 '],
  [/\.\.\./gu, ' ... '],
  [/[;@#$/%&]/gu, ' $& '],
  [new RegExp(`([^.])(\\.)([\\])}>"']*)\\s*${END}`, 'gu'), '$1 $2$3 '],
  [/[?!]/gu, ' $& '],
  [/([^'])' /gu, "$1 ' "],
];

const PARENS_BRACKETS: Rule = [/[\][(){}<>]/gu, ' $& '];
const DOUBLE_DASHES: Rule = [/--/gu, ' -- '];

const ENDING_QUOTES: Rule[] = [
  [/''/gu, " '' "],
  [/"/gu, " '' "],
  [/([^' ])('[sS]|'[mM]|'[dD]|') /gu, '$1 $2 '],
  [/([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) /gu, '$1 $2 '],
];

// NLTK's MacIntyre contractions: "cannot" → "can not", "gimme" → "gim me", "'tis" → "'t is".
const CONTRACTIONS: RegExp[] = [
  ...[
    ['can', 'not'],
    ['d', "'ye"],
    ['gim', 'me'],
    ['gon', 'na'],
    ['got', 'ta'],
    ['lem', 'me'],
    ['more', "'n"],
  ].map(([a, b]) => new RegExp(`${B_START}(${a})(${b})${B_END}`, 'giu')),
  new RegExp(`${B_START}(wan)(na)(?=\\s)`, 'giu'),
  new RegExp(` ('t)(is)${B_END}`, 'giu'),
  new RegExp(` ('t)(was)${B_END}`, 'giu'),
];

function apply(text: string, rules: readonly Rule[]): string {
  let out = text;
  for (const [re, sub] of rules) out = out.replace(re, sub);
  return out;
}

/** The tokens as NLTK's TreebankWordTokenizer.tokenize returns them (quotes rewritten). */
function tokenize(input: string): string[] {
  let text = apply(input, STARTING_QUOTES);
  text = apply(text, PUNCTUATION);
  text = apply(text, [PARENS_BRACKETS, DOUBLE_DASHES]);
  text = apply(` ${text} `, ENDING_QUOTES);
  for (const re of CONTRACTIONS) text = text.replace(re, ' $1 $2 ');
  return text.split(/\s+/u).filter(Boolean);
}

/** Character spans `[start, end)` of the tokens in `text`, as NLTK's span_tokenize gives them. */
export function treebankSpans(text: string): [number, number][] {
  let tokens = tokenize(text);
  // The tokenizer rewrote double quotes as `` and ''; put back what the text has there.
  if (text.includes('"') || text.includes("''")) {
    const quotes = [...text.matchAll(/``|'{2}|"/gu)].map((m) => m[0]);
    tokens = tokens.map((tok) =>
      tok === '"' || tok === '``' || tok === "''" ? (quotes.shift() ?? tok) : tok,
    );
  }
  const spans: [number, number][] = [];
  let point = 0;
  for (const tok of tokens) {
    const start = text.indexOf(tok, point);
    // Cannot happen for tokens cut from the text itself; stop rather than misalign the rest.
    if (start < 0) break;
    point = start + tok.length;
    spans.push([start, point]);
  }
  return spans;
}
