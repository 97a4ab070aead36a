import { tokenStartsAt } from "./chars.ts";
import { type Detector, FEATURE } from "./types.ts";

// Slack tokens (xoxa-, xoxb- bot, xoxp- user, xoxr- refresh, xoxs-, xoxe- rotating/config, xapp-
// app-level) and incoming-webhook URLs, whose path is the secret: the whole URL is masked.
const SLACK_TOKEN = /(?:xox[abeprs]|xapp)-[A-Za-z0-9-]{10,250}/g;
const SLACK_WEBHOOK = /https?:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_/-]{10,250}/g;

export const slackToken: Detector = {
  name: "slack-token",
  minLength: 15,
  requires: FEATURE.DASH_OR_COLON,
  detect(text, _context, out) {
    if (text.includes("xox") || text.includes("xapp-")) {
      SLACK_TOKEN.lastIndex = 0;
      for (let match = SLACK_TOKEN.exec(text); match !== null; match = SLACK_TOKEN.exec(text)) {
        if (!tokenStartsAt(text, match.index, "-")) continue;
        out.push({ start: match.index, end: match.index + match[0].length, kind: "slack-token" });
      }
    }
    if (text.includes("ks.slack.com")) {
      SLACK_WEBHOOK.lastIndex = 0;
      for (let match = SLACK_WEBHOOK.exec(text); match !== null; match = SLACK_WEBHOOK.exec(text)) {
        out.push({ start: match.index, end: match.index + match[0].length, kind: "slack-token" });
      }
    }
  },
};
