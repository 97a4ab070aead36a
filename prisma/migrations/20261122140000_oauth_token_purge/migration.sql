-- Housekeeping deletes OAuth access tokens (GatewayToken rows with "oauthClientId") a day after they
-- expired (lib/oauth/purge-expired.ts). Deleting a token makes Postgres look for the sessions that
-- reference it (ON DELETE SET NULL): without an index that is a scan of "Session" per deleted token.
CREATE INDEX "Session_gatewayTokenId_idx" ON "Session"("gatewayTokenId");
-- The purge keeps each client's newest token (client retention counts it as use) and looks a
-- client's tokens up when it purges clients.
CREATE INDEX "GatewayToken_oauthClientId_createdAt_idx" ON "GatewayToken"("oauthClientId", "createdAt");
