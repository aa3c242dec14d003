import React from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.jsx";

// config.json (served beside index.html) names the API:
// {"api": "http://localhost:8080/api/v1"}. Without it, the API is taken to
// be on this origin under /api/v1.
async function start() {
  let api = `${window.location.origin}/api/v1`;
  try {
    const res = await fetch("config.json", { cache: "no-store" });
    if (res.ok) api = (await res.json()).api || api;
  } catch {
    // no config.json: the default
  }
  createRoot(document.getElementById("root")).render(<App api={api} />);
}
start();
