import { Buffer } from "node:buffer";
import fc from "fast-check";
import { IBAN_LENGTHS } from "./detectors/iban.ts";

// Test data only (used by lib/policy/mask-generated.test.ts and gateway/masking-generated.e2e.test.ts):
// fast-check arbitraries for realistic sensitive values of every kind the detectors claim, valid
// by construction (Luhn, mod-97, decodable JWT headers, issuer prefixes), in the formats that
// Faker- or Presidio-style generators produce. Every value is random; none is a live credential.

export interface Sensitive {
  /** The detector expected to find it. */
  kind: string;
  /** The sensitive value: it must never survive masking. */
  value: string;
  /**
   * Context that must stand right before the value for it to count as sensitive at all (a bare
   * nine-digit SSN needs "SSN", a 40-character AWS secret needs "aws_secret_access_key", a bearer
   * token needs "Bearer"). Placed together with the value everywhere.
   */
  lead: string;
}

const DIGITS = "0123456789";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM = UPPER + LOWER + DIGITS;

export const fromChars = (chars: string, min: number, max = min) =>
  fc.array(fc.constantFrom(...chars), { minLength: min, maxLength: max }).map((c) => c.join(""));
const digits = (n: number) => fromChars(DIGITS, n);
/** Random like a real key: mixed case and digits (a real one has all three with near certainty). */
const keyBody = (n: number, extra = "") =>
  fc
    .tuple(fromChars(UPPER, 1), fromChars(LOWER, 1), fromChars(DIGITS, 1), fromChars(ALNUM + extra, n - 3))
    .chain(([u, l, d, rest]) => fc.shuffledSubarray([...u, ...l, ...d, ...rest], { minLength: n, maxLength: n }).map((a) => a.join("")));
const sensitive =
  (kind: string, lead = "") =>
  (value: string): Sensitive => ({ kind, value, lead });

// ---- payment cards ------------------------------------------------------------------------------

export function luhnCheckDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

/** Issuer prefixes with the lengths they issue (one of each brand's ranges, edges included). */
const BRANDS: Array<{ brand: string; prefixes: string[]; lengths: number[] }> = [
  { brand: "visa", prefixes: ["4"], lengths: [13, 16, 19] },
  { brand: "mastercard", prefixes: ["51", "52", "53", "54", "55", "2221", "2500", "2720"], lengths: [16] },
  { brand: "amex", prefixes: ["34", "37"], lengths: [15] },
  { brand: "discover", prefixes: ["6011", "65", "644", "649"], lengths: [16, 19] },
  { brand: "jcb", prefixes: ["3528", "3550", "3589"], lengths: [16] },
  { brand: "diners", prefixes: ["300", "305", "36", "38"], lengths: [14, 16] },
  { brand: "unionpay", prefixes: ["62"], lengths: [16, 19] },
  { brand: "maestro", prefixes: ["5018", "5020", "5038", "56", "58", "6304", "6759"], lengths: [13, 16, 19] },
  { brand: "jcb15", prefixes: ["2131", "1800"], lengths: [15] },
  { brand: "mir", prefixes: ["2200", "2204"], lengths: [16] },
  { brand: "rupay", prefixes: ["60", "508"], lengths: [16] },
  { brand: "instapayment", prefixes: ["637", "639"], lengths: [16] },
];

function groupsFor(length: number, brand: string): number[] {
  if (brand === "amex") return [4, 6, 5];
  if (length === 14) return [4, 6, 4];
  if (length === 13) return []; // no printed grouping for 13 digits: plain only
  const groups: number[] = [];
  for (let left = length; left > 0; left -= 4) groups.push(Math.min(4, left));
  return groups;
}

export const cardNumber = fc
  .tuple(fc.constantFrom(...BRANDS), fc.nat(), fc.nat(), digits(19))
  .map(([{ brand, prefixes, lengths }, p, l, fill]) => {
    const prefix = prefixes[p % prefixes.length]!;
    const length = lengths[l % lengths.length]!;
    const body = (prefix + fill).slice(0, length - 1);
    return { brand, digits: body + luhnCheckDigit(body) };
  });

export const card = fc.tuple(cardNumber, fc.constantFrom("", " ", "-")).map(([{ brand, digits: number }, sep]) => {
  const groups = groupsFor(number.length, brand);
  if (sep === "" || groups.length === 0) return sensitive("payment-card")(number);
  const parts: string[] = [];
  let at = 0;
  for (const size of groups) {
    parts.push(number.slice(at, at + size));
    at += size;
  }
  return sensitive("payment-card")(parts.join(sep));
});

// ---- email --------------------------------------------------------------------------------------

const word = fromChars(LOWER, 2, 9);
const host = fc.oneof(
  fromChars(`${LOWER}${DIGITS}`, 1, 12),
  fc.tuple(word, word).map(([a, b]) => `${a}-${b}`),
  // IDN as punycode, and as Unicode (EAI).
  fc.constantFrom("xn--bcher-kva", "xn--mnchen-3ya", "bücher", "münchen", "例え", "пример", "españa"),
);
const tld = fc.constantFrom("com", "org", "net", "io", "co.uk", "de", "fr", "info", "example", "xn--p1ai", "рф", "museum");
export const email = fc
  .tuple(
    fc.oneof(
      { weight: 6, arbitrary: fc.tuple(word, fc.constantFrom(".", "_", "-", ""), word).map(([a, s, b]) => `${a}${s}${b}`) },
      { weight: 2, arbitrary: fc.tuple(word, fromChars(`${LOWER}${DIGITS}-`, 1, 8)).map(([a, tag]) => `${a}+${tag}`) }, // plus-addressing
      { weight: 1, arbitrary: fc.tuple(word, word).map(([a, b]) => `${a}'${b}`) }, // o'connor
      { weight: 1, arbitrary: fc.tuple(word, word).map(([a, b]) => `"${a} ${b}"`) }, // quoted local part
      { weight: 1, arbitrary: fc.tuple(word, digits(4)).map(([a, d]) => `${a.toUpperCase()}${d}`) },
      { weight: 1, arbitrary: fc.constantFrom("josé", "müller.k", "用户") }, // EAI local parts
    ),
    fc.array(word, { maxLength: 2 }), // subdomains
    host,
    tld,
  )
  .map(([local, subdomains, domain, top]) => sensitive("email")(`${local}@${[...subdomains, domain, top].join(".")}`));

// ---- phone --------------------------------------------------------------------------------------

const nanp = fc.tuple(fc.integer({ min: 201, max: 989 }), fc.integer({ min: 200, max: 999 }), digits(4));
export const phone = fc.oneof(
  // E.164, compact
  fc
    .tuple(fc.constantFrom("1", "44", "49", "33", "91", "61", "81", "34", "39", "55"), digits(9))
    .map(([cc, rest]) => sensitive("phone")(`+${cc}${cc === "1" ? `${rest.replace(/^0/, "2")}5` : rest}`)),
  // North American, the shapes Faker's en_US formats use (with extensions)
  fc
    .tuple(
      nanp,
      fc.constantFrom(
        "###-###-####",
        "(###) ###-####",
        "(###)###-####",
        "###.###.####",
        "+1-###-###-####",
        "+1 ### ### ####",
        "1-###-###-####",
      ),
      fc.option(fc.tuple(fc.constantFrom("x", " x", " ext. ", " ext "), digits(3)), { nil: undefined }),
    )
    .map(([[area, exchange, line], format, extension]) => {
      const d = `${area}${exchange}${line}`;
      let i = 0;
      const number = format.replace(/#/g, () => d[i++]!);
      return sensitive("phone")(number + (extension ? extension.join("") : ""));
    }),
  // Europe, national and international
  fc.tuple(digits(4), digits(4)).map(([a, b]) => sensitive("phone")(`020 ${a} ${b}`)),
  fc
    .tuple(digits(4), digits(4), fc.constantFrom("+44 20 ", "+44 (0)20 ", "0044 20 "))
    .map(([a, b, p]) => sensitive("phone")(`${p}${a} ${b}`)),
  fc
    .tuple(fc.array(digits(2), { minLength: 4, maxLength: 4 }), fc.constantFrom(" ", "."))
    .map(([pairs, sep]) => sensitive("phone")(`01${sep}${pairs.join(sep)}`)),
  fc.array(digits(2), { minLength: 4, maxLength: 4 }).map((pairs) => sensitive("phone")(`+33 6 ${pairs.join(" ")}`)),
  fc.tuple(digits(7), fc.constantFrom("030 ", "030-", "+49 30 ", "+49 (0)30 ")).map(([d, p]) => sensitive("phone")(`${p}${d}`)),
  fc.tuple(digits(5), digits(5)).map(([a, b]) => sensitive("phone")(`+91 9${a.slice(1)} ${b}`)),
);

// ---- IBAN ---------------------------------------------------------------------------------------

function mod97(numeric: string): number {
  let remainder = 0;
  for (const c of numeric) remainder = (remainder * 10 + Number(c)) % 97;
  return remainder;
}
const ibanDigits = (s: string) => [...s].map((c) => (c >= "0" && c <= "9" ? c : String(c.charCodeAt(0) - 55))).join("");

export const iban = fc
  .tuple(fc.constantFrom(...Object.keys(IBAN_LENGTHS)), fromChars(DIGITS, 30), fromChars(UPPER, 30), fc.nat(6), fc.boolean())
  .map(([country, numbers, letters, lettersCount, spaced]) => {
    const length = IBAN_LENGTHS[country]! - 4;
    // A bank code of a few letters (GB WEST, NL ABNA) then digits, as most BBANs are.
    const bban = (letters.slice(0, Math.min(lettersCount, 4)) + numbers).slice(0, length);
    const check = String(98 - mod97(ibanDigits(`${bban}${country}00`))).padStart(2, "0");
    const compact = country + check + bban;
    return sensitive("iban")(spaced ? compact.replace(/(.{4})(?!$)/g, "$1 ") : compact);
  });

// ---- US SSN -------------------------------------------------------------------------------------

const ssnParts = fc.tuple(
  fc.integer({ min: 1, max: 899 }).filter((a) => a !== 666),
  fc.integer({ min: 1, max: 99 }),
  fc.integer({ min: 1, max: 9999 }),
);
const ssnText = ([area, group, serial]: [number, number, number]) => [
  String(area).padStart(3, "0"),
  String(group).padStart(2, "0"),
  String(serial).padStart(4, "0"),
];
export const ssn = fc.oneof(
  fc.tuple(ssnParts, fc.constantFrom("-", " ")).map(([parts, sep]) => sensitive("us-ssn")(ssnText(parts).join(sep))),
  // Nine bare digits count only next to a keyword.
  fc
    .tuple(ssnParts, fc.constantFrom("SSN ", "ssn: ", "Social Security Number ", "SSN#"))
    .map(([parts, lead]) => sensitive("us-ssn", lead)(ssnText(parts).join(""))),
);

// ---- IP addresses -------------------------------------------------------------------------------

const octet = fc.nat(255).map(String);
export const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => sensitive("ip-address")(o.join(".")));
const hexGroup = fromChars("0123456789abcdef", 1, 4).map((g) => g.replace(/^0+(?=.)/, ""));
export const ipv6 = fc
  .tuple(fc.array(hexGroup, { minLength: 8, maxLength: 8 }), fc.nat(7), fc.integer({ min: 0, max: 3 }), fc.boolean(), ipv4)
  .map(([groups, at, form, upper, v4]) => {
    let text: string;
    if (form === 0) text = groups.join(":");
    else if (form === 1) text = `${groups.slice(0, at % 6 || 1).join(":")}::${groups.slice(7).join(":")}`;
    else if (form === 2) text = `::ffff:${v4.value}`;
    else text = `fe80::${groups.slice(4).join(":")}`;
    return sensitive("ip-address")(upper ? text.toUpperCase() : text);
  });

// ---- tokens and keys ----------------------------------------------------------------------------

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
export const jwt = fc
  .tuple(
    fc.constantFrom("HS256", "RS256", "ES256", "EdDSA", "none"),
    fc.option(fromChars(ALNUM, 8, 16), { nil: undefined }),
    fc.record({ sub: fromChars(ALNUM, 4, 20), iat: fc.nat(), email: fc.constant("x@example.com"), name: word }, { requiredKeys: ["sub"] }),
    fromChars(`${ALNUM}-_`, 43, 86),
  )
  .map(([alg, kid, claims, signature]) =>
    sensitive("jwt")(`${b64url({ alg, typ: "JWT", ...(kid ? { kid } : {}) })}.${b64url(claims)}.${alg === "none" ? "" : signature}`),
  );

export const awsAccessKey = fc
  .tuple(fc.constantFrom("AKIA", "ASIA", "AROA", "AIDA", "AGPA", "ANPA"), fromChars(`${UPPER}${DIGITS}`, 16))
  .map(([prefix, rest]) => sensitive("aws-access-key")(prefix + rest));

export const awsSecretKey = fc
  .tuple(keyBody(40, "/+"), fc.constantFrom("aws_secret_access_key=", "AWS_SECRET_ACCESS_KEY: ", "aws secret "))
  .map(([body, lead]) => sensitive("aws-secret-key", lead)(body));

export const githubToken = fc.oneof(
  fc.tuple(fc.constantFrom("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), keyBody(36)).map(([p, body]) => sensitive("github-token")(p + body)),
  fc.tuple(keyBody(22), keyBody(59)).map(([a, b]) => sensitive("github-token")(`github_pat_${a}_${b}`)),
);

export const slackToken = fc.oneof(
  fc
    .tuple(fc.constantFrom("xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-"), digits(11), digits(12), keyBody(24))
    .map(([p, a, b, c]) => sensitive("slack-token")(`${p}${a}-${b}-${c}`)),
  fc
    .tuple(digits(1), keyBody(11), digits(13), keyBody(64))
    .map(([a, b, c, d]) => sensitive("slack-token")(`xapp-${a}-${b}-${c}-${d.toLowerCase()}`)),
  fc
    .tuple(keyBody(9), keyBody(11), keyBody(24))
    .map(([a, b, c]) => sensitive("slack-token")(`https://hooks.slack.com/services/T${a.toUpperCase()}/B${b.toUpperCase()}/${c}`)),
);

export const stripeKey = fc
  .tuple(
    fc.constantFrom("sk_live_", "rk_live_", "pk_live_", "sk_test_", "rk_test_"),
    fc.integer({ min: 24, max: 99 }).chain((n) => keyBody(n)),
  )
  .map(([p, body]) => sensitive("stripe-key")(p + body));

export const openaiKey = fc
  .tuple(fc.constantFrom("sk-", "sk-proj-", "sk-svcacct-", "sk-admin-"), keyBody(48, "_-"), fc.boolean())
  .map(([p, body, t3]) => sensitive("openai-key")(p === "sk-" && t3 ? `sk-${body.slice(0, 20)}T3BlbkFJ${body.slice(20, 40)}` : p + body));

export const googleApiKey = keyBody(35, "_-").map((body) => sensitive("google-api-key")(`AIza${body}`));

export const privateKey = fc
  .tuple(
    fc.constantFrom("", "RSA ", "EC ", "DSA ", "OPENSSH ", "ENCRYPTED "),
    fc.array(keyBody(64, "+/"), { minLength: 1, maxLength: 6 }),
    fc.constantFrom("\n", "\r\n"),
  )
  .map(([label, lines, nl]) =>
    sensitive("private-key")(`-----BEGIN ${label}PRIVATE KEY-----${nl}${lines.join(nl)}${nl}-----END ${label}PRIVATE KEY-----`),
  );

export const bearerToken = fc
  .tuple(keyBody(32, "-._~+/"), fc.constantFrom("Bearer ", "Authorization: Bearer ", "bearer "))
  .map(([token, lead]) => sensitive("bearer-token", lead)(token));

/** Every claimed kind, by detector name. */
export const GENERATORS: Record<string, fc.Arbitrary<Sensitive>> = {
  "payment-card": card,
  email,
  phone,
  iban,
  "us-ssn": ssn,
  "ip-address-v4": ipv4,
  "ip-address-v6": ipv6,
  jwt,
  "aws-access-key": awsAccessKey,
  "aws-secret-key": awsSecretKey,
  "github-token": githubToken,
  "slack-token": slackToken,
  "stripe-key": stripeKey,
  "openai-key": openaiKey,
  "google-api-key": googleApiKey,
  "private-key": privateKey,
  "bearer-token": bearerToken,
};

export const anySensitive = fc.oneof(...Object.values(GENERATORS));

// ---- look-alikes that must stay -----------------------------------------------------------------

/** Values that look like sensitive ones but are not; the detectors claim to leave them alone. */
export const lookAlike = fc.oneof(
  // 16 digits with a card issuer prefix and a wrong check digit.
  cardNumber.map(({ digits: d }) => {
    const wrong = String((Number(d[d.length - 1]) + 1 + (Number(d[0]) % 8)) % 10);
    return d.slice(0, -1) + wrong;
  }),
  // Printed in groups of four (up to 16 digits: in a longer one a shorter window may pass Luhn).
  cardNumber
    .filter(({ digits: d }) => d.length <= 16)
    .map(({ digits: d }) => `${d.slice(0, -1)}${(Number(d.at(-1)) + 5) % 10}`.replace(/(\d{4})(?=\d)/g, "$1 ")),
  fc.tuple(fc.nat(30), fc.nat(30), fc.nat(30)).map(([a, b, c]) => `v${a}.${b}.${c}`),
  fc.tuple(fc.nat(30), fc.nat(30), fc.nat(99)).map(([a, b, c]) => `${a}.${b}.${c}-beta.${c % 7}`),
  fc.date({ min: new Date("2000-01-01"), max: new Date("2040-01-01"), noInvalidDate: true }).map((d) => d.toISOString()),
  fc
    .date({ min: new Date("2000-01-01"), max: new Date("2040-01-01"), noInvalidDate: true })
    .map((d) => d.toISOString().replace("T", " ").slice(0, 19)),
  fc.date({ min: new Date("2000-01-01"), max: new Date("2040-01-01"), noInvalidDate: true }).map((d) => String(d.getTime())),
  fc.uuid(),
  fc.tuple(fc.constantFrom("ORD-", "INV-", "order #", "ticket OPS-", "PO "), digits(8)).map(([p, d]) => p + d),
  fc.tuple(fc.nat(2099), digits(6)).map(([y, d]) => `${y}-${d}`),
  fromChars("0123456789abcdef", 40), // git SHA
  fc.tuple(fc.nat(9_999_999), fc.nat(99)).map(([a, c]) => `$${a.toLocaleString("en-US")}.${String(c).padStart(2, "0")}`),
  fc.tuple(fc.nat(99), fc.nat(99)).map(([a, b]) => `${a}.${b}%`),
  fromChars(ALNUM, 12, 30), // ids, words
);

/**
 * Every string a value holds, for checking that a sensitive value survives nowhere: object keys,
 * leaves, numbers as text, and (recursively) what strings holding JSON decode to.
 */
export function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") {
    out.push(value);
    try {
      const parsed: unknown = JSON.parse(value);
      if ((typeof parsed === "object" && parsed !== null) || typeof parsed === "string") stringsIn(parsed, out);
    } catch {
      // plain text
    }
  } else if (typeof value === "number") {
    out.push(String(value));
  } else if (Array.isArray(value)) {
    for (const item of value) stringsIn(item, out);
  } else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      out.push(key);
      stringsIn(item, out);
    }
  }
  return out;
}
