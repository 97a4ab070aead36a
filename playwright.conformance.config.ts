import { defineConfig } from "@playwright/test";
import base from "./playwright.config.ts";

// The MCP conformance suites that need tools outside the project (Node 22, the suite's CLI): run by
// hand with `npm run conformance:auth`, never by `npm test`.
export default defineConfig({
  ...base,
  testDir: "e2e/conformance",
  testMatch: "**/*.conformance.ts",
});
