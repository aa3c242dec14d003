import simpleRestProvider from "ra-data-simple-rest";
import { fetchUtils } from "react-admin";
import { session } from "./authProvider.js";

// dataProvider is ra-data-simple-rest, unmodified: its httpClient only adds
// the session's Bearer token (the documented way to authenticate it).
export function dataProvider(api) {
  const httpClient = (url, options = {}) => {
    const headers = new Headers(options.headers || { Accept: "application/json" });
    const s = session();
    if (s) headers.set("Authorization", `Bearer ${s.token}`);
    return fetchUtils.fetchJson(url, { ...options, headers });
  };
  return simpleRestProvider(api, httpClient);
}
