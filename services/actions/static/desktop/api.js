// The agent's token and every call the page makes to actions. The token travels only in
// the Authorization header; streams are opened with single-use tickets (POST
// /v1/desktop/tickets), so it never appears in a URL, a log or the browser's history.

const KEY = "moments-agent-token";

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

export function takeToken() {
  // `moments run` prints the desktop URL with `#token=`: a fragment is never sent to a
  // server. Keep it for this tab only, and take it out of the address bar and history.
  const fragment = new URLSearchParams(location.hash.slice(1));
  const given = fragment.get("token");
  if (given) {
    sessionStorage.setItem(KEY, given);
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(KEY) || "";
}

export function keepToken(token) {
  sessionStorage.setItem(KEY, token);
}

export class Api {
  constructor(token) {
    this.token = token;
  }

  async call(method, path, body) {
    const headers = { Authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
    if (!response.ok) {
      const problem = await response.json().catch(() => ({ detail: response.statusText }));
      throw new ApiError(response.status, problem.detail || problem.title || response.statusText);
    }
    return response.json();
  }

  ticket() {
    return this.call("POST", "/v1/desktop/tickets");
  }

  customer(customerId) {
    return this.call("GET", `/v1/customers/${encodeURIComponent(customerId)}`);
  }

  outcome(recommendationId, body) {
    return this.call("POST", `/v1/recommendations/${encodeURIComponent(recommendationId)}/outcome`, body);
  }
}
