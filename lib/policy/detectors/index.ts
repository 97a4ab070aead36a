import type { DetectorName } from "../schema.ts";
import { awsAccessKey } from "./aws-access-key.ts";
import { awsSecretKey } from "./aws-secret-key.ts";
import { bearerToken } from "./bearer-token.ts";
import { email } from "./email.ts";
import { githubToken } from "./github-token.ts";
import { googleApiKey } from "./google-api-key.ts";
import { iban } from "./iban.ts";
import { ipAddress } from "./ip-address.ts";
import { jwt } from "./jwt.ts";
import { openaiKey } from "./openai-key.ts";
import { paymentCard } from "./payment-card.ts";
import { phone } from "./phone.ts";
import { privateKey } from "./private-key.ts";
import { slackToken } from "./slack-token.ts";
import { stripeKey } from "./stripe-key.ts";
import type { Detector } from "./types.ts";
import { usSsn } from "./us-ssn.ts";

export type { Detector, DetectorContext, Span } from "./types.ts";

export const DETECTOR_IMPLEMENTATIONS: Record<DetectorName, Detector> = {
  email,
  phone,
  "payment-card": paymentCard,
  iban,
  "us-ssn": usSsn,
  "ip-address": ipAddress,
  "aws-access-key": awsAccessKey,
  "aws-secret-key": awsSecretKey,
  "github-token": githubToken,
  "slack-token": slackToken,
  "stripe-key": stripeKey,
  "openai-key": openaiKey,
  "google-api-key": googleApiKey,
  jwt,
  "private-key": privateKey,
  "bearer-token": bearerToken,
};

/** Runs one detector on a string (tests, the editor's per-detector preview). */
export function detect(name: DetectorName, text: string, key = ""): Array<{ start: number; end: number; kind: string }> {
  const out: Array<{ start: number; end: number; kind: string }> = [];
  DETECTOR_IMPLEMENTATIONS[name].detect(text, { key }, out);
  return out;
}
