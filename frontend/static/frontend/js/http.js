// Small fetch helper for our own JSON API: same-origin cookies, the CSRF token on
// unsafe methods, and the project's error format turned into an ApiError whose
// message a person can read ({"error": {"code", "message", "fields"}}, see TEAM.md).

/** The CSRF token: from <meta name="csrf-token"> (base.html), else the csrftoken cookie. */
export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.content) return meta.content;
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/** An API answer that was not 2xx; `message` is meant for people, `code`/`fields` for code. */
export class ApiError extends Error {
  constructor(status, code, message, fields) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.fields = fields || {};
  }
}

function describe(status, body) {
  const error = body && body.error;
  if (error && error.message) {
    const fields = error.fields || {};
    const details = Object.keys(fields)
      .map((name) => [].concat(fields[name]).join(" "))
      .filter(Boolean);
    const message = details.length ? `${error.message} ${details.join(" ")}` : error.message;
    return new ApiError(status, error.code || "error", message, fields);
  }
  if (status === 403 || status === 401) return new ApiError(status, "forbidden", "Please log in again.");
  if (status === 404) return new ApiError(status, "not_found", "That was not found.");
  if (status === 429) return new ApiError(status, "throttled", "Too many requests; wait a moment and try again.");
  return new ApiError(status, "error", `The server answered ${status}; please try again.`);
}

/**
 * fetch() a JSON endpoint of this site.
 * options.json: a value sent as the JSON body; options.query: an object of query parameters.
 * Resolves with the parsed JSON (null for 204); rejects with ApiError, or with
 * ApiError(0, "network", …) when the server cannot be reached.
 */
export async function apiFetch(url, options = {}) {
  const { json, query, headers = {}, ...rest } = options;
  const method = (rest.method || (json !== undefined ? "POST" : "GET")).toUpperCase();
  let target = url;
  if (query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== "") params.append(key, String(value));
    }
    const text = params.toString();
    if (text) target += (url.includes("?") ? "&" : "?") + text;
  }
  const init = {
    ...rest,
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json", ...headers },
  };
  if (!["GET", "HEAD", "OPTIONS", "TRACE"].includes(method)) init.headers["X-CSRFToken"] = csrfToken();
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  }
  let response;
  try {
    response = await fetch(target, init);
  } catch (error) {
    throw new ApiError(0, "network", "The server cannot be reached; check your connection and try again.");
  }
  if (response.status === 204) return null;
  let body = null;
  try {
    body = await response.json();
  } catch (error) {
    body = null;
  }
  if (!response.ok) throw describe(response.status, body);
  return body;
}
