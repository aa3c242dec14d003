// authProvider logs in through the API: POST {api}/auth answers a Bearer
// token, kept in sessionStorage (never in a URL or a cookie this app
// reads); DELETE {api}/auth ends it.
const KEY = "apicrud.session";

export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch {
    return null;
  }
}

export function authProvider(api) {
  return {
    async login({ username, password }) {
      const res = await fetch(`${api}/auth`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ username, password }),
      });
      if (!res.ok) {
        const problem = await res.json().catch(() => ({}));
        throw new Error(problem.detail || problem.title || res.statusText);
      }
      const body = await res.json();
      sessionStorage.setItem(KEY, JSON.stringify({ token: body.token, uid: body.uid, roles: body.roles }));
    },
    async logout() {
      const s = session();
      sessionStorage.removeItem(KEY);
      if (s) {
        await fetch(`${api}/auth`, { method: "DELETE", headers: { Authorization: `Bearer ${s.token}` } }).catch(() => {});
      }
    },
    async checkAuth() {
      if (!session()) throw new Error("not logged in");
    },
    async checkError(error) {
      if (error && error.status === 401) {
        sessionStorage.removeItem(KEY);
        throw error;
      }
    },
    async getIdentity() {
      const s = session();
      if (!s) throw new Error("not logged in");
      return { id: s.uid, fullName: s.uid };
    },
    async getPermissions() {
      return session()?.roles || [];
    },
  };
}
