"""actions: decides the next best action for each signal, stores it in PostgreSQL, fans it
out to channel topics and pushes it live to agents' desktops (SSE and WebSocket)."""
