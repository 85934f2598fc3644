// The console's one client of /api/v1. The session's cookie is HttpOnly (the
// browser sends it); the login's answer gives the account, its role and the
// CSRF token, kept in localStorage (every tab of this browser shares the one
// session its cookie is) and sent as X-CSRF-Token with every change. A 401 or
// a logout ends it in every tab.

const KEY = 'apweb.session';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function session() {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) || 'null');
    return s && typeof s.name === 'string' && typeof s.role === 'string' ? s : null;
  } catch {
    return null;
  }
}

function setSession(s) {
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
  window.dispatchEvent(new Event('apweb-session'));
}

// Another tab logged in or out.
window.addEventListener('storage', (e) => {
  if (e.key === KEY) window.dispatchEvent(new Event('apweb-session'));
});

export const enc = encodeURIComponent;

async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  const s = session();
  if (method !== 'GET' && s) headers['X-CSRF-Token'] = s.csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let r;
  try {
    r = await fetch('/api/v1' + path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'The appliance cannot be reached; check the network and try again.');
  }
  let data = null;
  try {
    data = await r.json();
  } catch {
    data = null;
  }
  if (!r.ok) {
    if (r.status === 401 && path !== '/login') setSession(null);
    throw new ApiError(r.status, (data && data.error) || `The server answered ${r.status}.`);
  }
  return data;
}

export const api = {
  get: (p) => call('GET', p),
  post: (p, b) => call('POST', p, b === undefined ? {} : b),
  put: (p, b) => call('PUT', p, b),
  patch: (p, b) => call('PATCH', p, b),
  del: (p, b) => call('DELETE', p, b),
};

export async function login(name, password) {
  const d = await call('POST', '/login', { name, password });
  setSession({ name: d.name, role: d.role, csrf: d.csrf });
  return d;
}

export async function logout() {
  try {
    await call('POST', '/logout', {});
  } finally {
    setSession(null);
  }
}

// What an account's role lets it do (applianced enforces it; this only hides
// what would be refused): read-only changes nothing; an operator starts,
// stops and migrates VSs and VIPs, evacuates and resumes nodes, checks fence
// devices (ap_roles.c); an admin all.
export function can(what) {
  const s = session();
  if (!s) return false;
  if (s.role === 'admin') return true;
  if (s.role === 'operator') return what === 'operate';
  return false;
}
