// The agent's live stream: recommendations and screen-pops over Server-Sent Events.
//
// Each connection gets a fresh single-use ticket. EventSource's own reconnection would
// re-send a spent ticket, so on any error the page closes it and opens a new one with a
// new ticket and the last recommendation id it saw (`last_event_id`): the server then
// sends everything after it, exactly once. The first ticket's `head` tells the opening
// queue (open items at or below it) from arrivals.

export function openStream(api, handlers) {
  let lastId = null;
  let source = null;
  let delay = 500;
  let first = true;

  async function connect() {
    let issued;
    try {
      issued = await api.ticket();
    } catch (error) {
      if (error.status === 401) {
        handlers.unauthorized(error.message);
        return;
      }
      handlers.status("reconnecting", "Reconnecting…");
      retry();
      return;
    }
    const opening = first ? issued.head : 0;
    if (first) handlers.agent(issued.agent);
    first = false;
    const url = new URL("/v1/desktop/stream", location.origin);
    url.searchParams.set("ticket", issued.ticket);
    if (lastId) url.searchParams.set("last_event_id", lastId);
    source = new EventSource(url);
    source.addEventListener("open", () => {
      delay = 500;
      handlers.status("live", "Live");
    });
    source.addEventListener("recommendation", (message) => {
      lastId = message.lastEventId || lastId;
      const recommendation = JSON.parse(message.data);
      handlers.recommendation(recommendation, recommendation.seq <= opening);
    });
    source.addEventListener("customer", (message) => handlers.customer(JSON.parse(message.data)));
    source.addEventListener("error", () => {
      source.close();
      handlers.status("reconnecting", "Reconnecting…");
      retry();
    });
  }

  function retry() {
    setTimeout(connect, delay);
    delay = Math.min(delay * 2, 10_000);
  }

  connect();
  return { close: () => source && source.close() };
}
