// JSON calls to the product's API with the page's CSRF token; errors carry status and body.
const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

export async function api(method, path, body) {
  const res = await fetch(path, {
    method, credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), Accept: "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw Object.assign(new Error((data && data.detail) || res.statusText), { status: res.status, data });
  return data;
}

// The detail of an error plus its field messages, for a banner.
export function errorText(err) {
  const fields = err.data && (err.data.errors || err.data.fields);
  return err.message + (fields ? " " + JSON.stringify(fields) : "");
}
