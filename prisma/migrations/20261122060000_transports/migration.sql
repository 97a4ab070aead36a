-- AlterEnum: upstreams reached over the legacy HTTP+SSE transport or WebSocket
ALTER TYPE "Transport" ADD VALUE 'SSE';
ALTER TYPE "Transport" ADD VALUE 'WEBSOCKET';
