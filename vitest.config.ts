import { defineConfig } from "vitest/config";

export default defineConfig({
  // Route handlers under app/ import with the "@/…" alias of tsconfig.json (test/api-attacks.test.ts calls them).
  resolve: { tsconfigPaths: true },
  test: {
    include: ["lib/**/*.test.ts", "gateway/**/*.test.ts", "scripts/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["node_modules", ".next", "e2e"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
