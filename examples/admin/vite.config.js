import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The app is served from any path (relative asset URLs); config.json beside
// index.html names the API it talks to.
export default defineConfig({
  base: "./",
  plugins: [react()],
  build: { outDir: "dist", sourcemap: false, chunkSizeWarningLimit: 4096 },
});
