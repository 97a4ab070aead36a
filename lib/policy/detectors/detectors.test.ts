import { describe, expect, it } from "vitest";
import { DETECTORS, type DetectorName } from "../schema.ts";
import { detect } from "./index.ts";

// Every value here is a documented test value or made up; none is a live credential.
const GH = `ghp_${"A1b2C3d4E5".repeat(3)}x9Y8z7`;
const GH_PAT = `github_pat_11ABCDEFG0${"aB3dE5gH7j".repeat(7)}kL9mN0pQ1rS2`;
const OPENAI_LEGACY = `sk-${"Ab3Cd5Ef7Gh9Jk2Lm4Np6Qr8St".repeat(2)}`.slice(0, 51);
const OPENAI_PROJECT = `sk-proj-${"Xy1Zw2Vu3Ts4Rq5Po6Nm7Lk8Ji9Hg0Fe_-Dc".repeat(3)}`;
const OPENAI_SERVICE = `sk-svcacct-${"Qw1Er2Ty3Ui4Op5As6Df7Gh8Jk9Lz0".repeat(3)}`;
const JWT =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
const JWT_NONE = "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxMjMifQ.";
const NOT_JWT = "eyJub3RhIjoiand0In0.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"; // header {"nota":"jwt"}: no alg
const GOOGLE = "AIzaSy0aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV";
const PEM_BODY = "MIIEowIBAAKCAQEAwJ7Zc3Yk\nq5y0H8VbU+example+base64+body==";
const pem = (label: string) => `-----BEGIN ${label}PRIVATE KEY-----\n${PEM_BODY}\n-----END ${label}PRIVATE KEY-----`;

interface Case {
  text: string;
  /** The exact substrings that must be found, in order. */
  found: string[];
  key?: string;
}

const positives: Record<DetectorName, Case[]> = {
  email: [
    { text: "write to jane.doe@example.com today", found: ["jane.doe@example.com"] },
    { text: "<first.last+tag@mail.example.co.uk>", found: ["first.last+tag@mail.example.co.uk"] },
    { text: "mailto:USER_1@Example.ORG, a@b.io.", found: ["USER_1@Example.ORG", "a@b.io"] },
    { text: '{"email":"ops-team@xn--bcher-kva.example"}', found: ["ops-team@xn--bcher-kva.example"] },
    { text: 'to "john doe"@example.com and o\'connor@example.ie', found: ['"john doe"@example.com', "o'connor@example.ie"] },
    { text: "'jane@example.com' jürgen@bücher.de 用户@例え.jp", found: ["jane@example.com", "jürgen@bücher.de", "用户@例え.jp"] },
    { text: "write to ops@mail.example.de.X and more", found: ["ops@mail.example.de"] },
    { text: 'JSON-escaped: {\\"to\\":\\"a b\\"@example.com}', found: ['\\"a b\\"@example.com'] },
  ],
  phone: [
    { text: "call +1 415 555 2671 now", found: ["+1 415 555 2671"] },
    { text: "(415) 555-2671", found: ["(415) 555-2671"] },
    { text: "415-555-2671 or 415.555.2671", found: ["415-555-2671", "415.555.2671"] },
    { text: "UK +44 20 7946 0958, national 020 7946 0958", found: ["+44 20 7946 0958", "020 7946 0958"] },
    { text: "E.164: +14155552671", found: ["+14155552671"] },
    { text: "Berlin +49 (0)30 1234567 / 030-1234567", found: ["+49 (0)30 1234567", "030-1234567"] },
    { text: "Paris 01 23 45 67 89 or 01.23.45.67.89", found: ["01 23 45 67 89", "01.23.45.67.89"] },
    { text: "toll free 1-800-555-0199, local 555-1234", found: ["1-800-555-0199", "555-1234"] },
    { text: "from abroad 0044 20 7946 0958; +44 (0) 20 7946 0958", found: ["0044 20 7946 0958", "+44 (0) 20 7946 0958"] },
    { text: "order 2024 415-555-2671", found: ["415-555-2671"] },
    { text: "tel:+14155552671, desk 415-555-2671 x123", found: ["+14155552671", "415-555-2671 x123"] },
    { text: "Jane,(415)555-2671,42 and #020 7946 0958", found: ["(415)555-2671", "020 7946 0958"] },
    { text: "UK (+44) 20 7946 0958, x(+39541270373)y", found: ["(+44) 20 7946 0958", "+39541270373"] },
  ],
  "payment-card": [
    { text: "Visa 4111 1111 1111 1111 exp 12/30", found: ["4111 1111 1111 1111"] },
    { text: "MC 5555-5555-5555-4444.", found: ["5555-5555-5555-4444"] },
    { text: "amex 378282246310005 and 3782 822463 10005", found: ["378282246310005", "3782 822463 10005"] },
    { text: "4111111111111111", found: ["4111111111111111"] },
    { text: "discover 6011111111111117, jcb 3530111333300000", found: ["6011111111111117", "3530111333300000"] },
    { text: "diners 30569309025904, mc2 2223003122003222", found: ["30569309025904", "2223003122003222"] },
    { text: "unionpay 6200000000000005", found: ["6200000000000005"] },
    { text: "(4111111111111111) card #5555 5555 5555 4444", found: ["4111111111111111", "5555 5555 5555 4444"] },
    { text: "Jane,4111111111111111,12/30 and q=4111+1111+1111+1111&x", found: ["4111111111111111", "4111+1111+1111+1111"] },
    { text: "_4111 1111 1111 1111_", found: ["4111 1111 1111 1111"] },
    // Mir, JCB (15 digits), Maestro (13 digits), RuPay — check digits computed for these bodies
    { text: "mir 2200000000000004 jcb 213100000000001", found: ["2200000000000004", "213100000000001"] },
    { text: "maestro 6304000000000 rupay 6070000000000002", found: ["6304000000000", "6070000000000002"] },
  ],
  iban: [
    { text: "IBAN GB82 WEST 1234 5698 7654 32.", found: ["GB82 WEST 1234 5698 7654 32"] },
    { text: "DE89 3704 0044 0532 0130 00", found: ["DE89 3704 0044 0532 0130 00"] },
    { text: "compact: DE89370400440532013000;", found: ["DE89370400440532013000"] },
    {
      text: "FR14 2004 1010 0505 0001 3M02 606 and NL91ABNA0417164300",
      found: ["FR14 2004 1010 0505 0001 3M02 606", "NL91ABNA0417164300"],
    },
    { text: "irregular DE89 370400440532013000 spacing", found: ["DE89 370400440532013000"] },
  ],
  "us-ssn": [
    { text: "SSN 078-05-1120", found: ["078-05-1120"] },
    { text: "123-45-6789 and 123 45 6789", found: ["123-45-6789", "123 45 6789"] },
    { text: "Social Security Number: 123456789", found: ["123456789"] },
    { text: "123456789", key: "ssn", found: ["123456789"] },
    { text: "ssn (123456789), Jane,123-45-6789,NY, SSN#078051120", found: ["123456789", "123-45-6789", "078051120"] },
  ],
  "ip-address": [
    { text: "host 192.168.1.1 and 8.8.8.8", found: ["192.168.1.1", "8.8.8.8"] },
    { text: "http://10.0.0.1:8080/x and 10.0.0.0/8", found: ["10.0.0.1", "10.0.0.0"] },
    { text: "v6 2001:db8::ff00:42:8329 and ::1", found: ["2001:db8::ff00:42:8329", "::1"] },
    { text: "2001:0db8:0000:0000:0000:ff00:0042:8329", found: ["2001:0db8:0000:0000:0000:ff00:0042:8329"] },
    // The IPv4 tail is reported too; the masker merges overlapping spans into one.
    { text: "mapped ::ffff:192.0.2.128, link fe80::1.", found: ["192.0.2.128", "::ffff:192.0.2.128", "fe80::1"] },
    { text: "1.2.3.4 is an address", found: ["1.2.3.4"] },
    { text: "ip:2001:db8::1, _fe80::1_ and end.fe80::2.Next", found: ["2001:db8::1", "fe80::1", "fe80::2"] },
  ],
  "aws-access-key": [
    { text: "key AKIAIOSFODNN7EXAMPLE", found: ["AKIAIOSFODNN7EXAMPLE"] },
    { text: '"ASIAY34FZKBOKMUTVV7A"', found: ["ASIAY34FZKBOKMUTVV7A"] },
    { text: "generated AKIA0123456789ABCDEF", found: ["AKIA0123456789ABCDEF"] },
  ],
  "aws-secret-key": [
    { text: "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", found: ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"] },
    { text: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", key: "awssecretaccesskey", found: ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"] },
    { text: "AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", found: ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"] },
    { text: "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", found: ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"] },
  ],
  "github-token": [
    { text: `token ${GH}`, found: [GH] },
    { text: `GITHUB_TOKEN=${GH_PAT}`, found: [GH_PAT] },
    { text: `gho_${"Zz9".repeat(12)} ghs_${"Yy8".repeat(12)}`, found: [`gho_${"Zz9".repeat(12)}`, `ghs_${"Yy8".repeat(12)}`] },
  ],
  "slack-token": [
    {
      text: "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
      found: ["xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"],
    },
    {
      text: "post to https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX please",
      found: ["https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"],
    },
    { text: "app token xapp-1-A0123456789-1234567890123-abcdef0123456789", found: ["xapp-1-A0123456789-1234567890123-abcdef0123456789"] },
  ],
  "stripe-key": [
    { text: "STRIPE_KEY=sk_test_4eC39HqLyjWDarjtT1zdp7dc", found: ["sk_test_4eC39HqLyjWDarjtT1zdp7dc"] },
    {
      text: "sk_live_51H8xYzAbCdEfGhIjKlMnOp rk_live_51H8xYzQrStUvWx",
      found: ["sk_live_51H8xYzAbCdEfGhIjKlMnOp", "rk_live_51H8xYzQrStUvWx"],
    },
    { text: "pk_live_51H8xYzAbCdEfGhIjKlMnOp", found: ["pk_live_51H8xYzAbCdEfGhIjKlMnOp"] },
  ],
  "openai-key": [
    { text: `OPENAI_API_KEY=${OPENAI_LEGACY}`, found: [OPENAI_LEGACY] },
    { text: `"${OPENAI_PROJECT}"`, found: [OPENAI_PROJECT] },
    { text: OPENAI_SERVICE, found: [OPENAI_SERVICE] },
  ],
  "google-api-key": [
    { text: `GOOGLE_API_KEY=${GOOGLE}`, found: [GOOGLE] },
    { text: `https://maps.googleapis.com/maps/api/geocode/json?key=${GOOGLE}&address=x`, found: [GOOGLE] },
  ],
  jwt: [
    { text: `token=${JWT}&x=1`, found: [JWT] },
    { text: `unsigned ${JWT_NONE} end`, found: [JWT_NONE] },
  ],
  "private-key": [
    { text: `key:\n${pem("RSA ")}\nthanks`, found: [pem("RSA ")] },
    { text: pem(""), found: [pem("")] },
    { text: `${pem("EC ")} ${pem("OPENSSH ")}`, found: [pem("EC "), pem("OPENSSH ")] },
    { text: pem("ENCRYPTED "), found: [pem("ENCRYPTED ")] },
    {
      text: "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq (truncated)",
      found: ["-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq (truncated)"],
    },
  ],
  "bearer-token": [
    { text: "Authorization: Bearer abc123DEF456ghi789", found: ["abc123DEF456ghi789"] },
    { text: `curl -H "authorization: bearer ${JWT}"`, found: [JWT] },
    { text: "Bearer mF_9.B5f-4.1JqM", found: ["mF_9.B5f-4.1JqM"] },
  ],
};

const negatives: Record<DetectorName, string[]> = {
  email: ["user@localhost", "@handle and foo@bar", "john..doe@example.com", "[REDACTED:email]", "a@b.c", "****.***@*******e.com"],
  phone: [
    "2026-11-22",
    "ISBN 978-3-16-148410-0",
    "1 234 567,89 EUR and 12 345 678",
    "sort code 12-34-56",
    "at 2026-11-22T10:15:30Z",
    "10:15:30",
    "$1,234.56",
    "v2.10.3 and 1.2.3",
    "192.168.1.1",
    "order 12345678901234",
    "1415-555-26710",
    "x415-555-2671",
    "415-555-2671-99",
    "22.11.2026",
    "11/22/2026",
    "4111 1111 1111 1111",
    "078-05-1120",
    "+* *** *** 2671",
    "0000000b-0002-1000-8242-c9c0f23ab758",
  ],
  "payment-card": [
    "order 1234 5678 9012 3456",
    "4111 1111 1111 1112",
    "1234567890123456",
    "41111111111111111111",
    "4111-1111 1111-1111",
    "**** **** **** 1111",
    "$4111111111111111",
    "ts 1732270530123",
  ],
  iban: [
    "GB82 WEST 1234 5698 7654 33",
    "DE89370400440532013001",
    "XX82WEST12345698765432",
    "GB82 WEST",
    "gb82west12345698765432",
    "ABGB82WEST12345698765432",
  ],
  "us-ssn": ["000-12-3456", "666-12-3456", "912-12-3456", "123-00-6789", "123-45-0000", "123456789", "123-45-67890", "order 123456789"],
  "ip-address": [
    "v2.10.3",
    "1.2.3",
    "256.1.1.1",
    "1.2.3.4.5",
    "10:15:30",
    "12:34:56:78",
    "std::vector",
    "00:1a:2b:3c:4d:5e",
    "01.02.03.04",
  ],
  "aws-access-key": ["AKIAIOSFODNN7EXAMPL", "XAKIAIOSFODNN7EXAMPLE", "AKIA1234567890123456", "AKIAIOSFODNN7EXAMPLEX"],
  "aws-secret-key": [
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "secret commit da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "secret: abcdefghijabcdefghijabcdefghijabcdefghij",
  ],
  "github-token": ["ghp_short", `xghp_${"A1b2C3d4E5".repeat(4)}`, `ghx_${"A1b2C3d4E5".repeat(4)}`],
  "slack-token": ["xoxo-hugs", "xoxb-short", "https://slack.com/services/T000/B000/XXXX"],
  "stripe-key": ["pk_test_51H8xYzAbCdEfGhIjKlMnOp", "sk_test_short", "task_test_4eC39HqLyjWDarjtT1zdp7dc"],
  "google-api-key": ["AIzaShortKey", `${GOOGLE}x`, `x${GOOGLE}`],
  "openai-key": [
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "sk-learn-compatible-estimators-and-transformers",
    "task-1234",
    `ask-${"Ab3Cd5Ef7Gh9Jk2Lm4Np6Qr8St".repeat(2)}`,
  ],
  jwt: [NOT_JWT, "eyJhbGciOi", "eyJhbGciOiJIUzI1NiJ9", "xeyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.abc"],
  "private-key": [
    "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
    "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----",
  ],
  "bearer-token": ["a Bearer token is required", "Bearer Authentication", "token_type: Bearer", "Bearer [REDACTED:bearer-token]"],
};

function found(name: DetectorName, text: string, key = ""): string[] {
  return detect(name, text, key).map((span) => text.slice(span.start, span.end));
}

describe("detectors", () => {
  for (const name of DETECTORS) {
    describe(name, () => {
      for (const c of positives[name]) {
        it(`finds ${JSON.stringify(c.text.slice(0, 50))}${c.key ? ` (key ${c.key})` : ""}`, () => {
          expect(found(name, c.text, c.key)).toEqual(c.found);
        });
      }
      for (const text of negatives[name]) {
        it(`leaves ${JSON.stringify(text.slice(0, 50))} alone`, () => {
          expect(found(name, text)).toEqual([]);
        });
      }
    });
  }

  const lookAlikes = [
    "order number 1234 5678 9012 3456",
    "uuid 123e4567-e89b-12d3-a456-426614174000",
    "commit da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "at 2026-11-22T10:15:30Z",
    "at 2026-11-22T10:15:30.123+01:00",
    "costs $1,234.56 (EUR 1.234,56)",
    "release v2.10.3 and 1.2.3-beta",
    "timestamp 1732270530123",
    "id 20261122101530123456",
    "ratio 3.14159 and 2.71828",
    "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
  ];
  for (const text of lookAlikes) {
    it(`no detector fires on ${JSON.stringify(text)}`, () => {
      expect(DETECTORS.flatMap((name) => found(name, text).map((hit) => `${name}:${hit}`))).toEqual([]);
    });
  }
});
