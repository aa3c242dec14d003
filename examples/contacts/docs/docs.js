// The interactive documentation of the API: Swagger UI over the service's
// own OpenAPI document (openapi.json, beside this page). "Authorize" logs
// in with the OAuth2 password flow of the token endpoint (username,
// password, scopes), or takes a token from POST /auth.
window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  docExpansion: "list",
  tryItOutEnabled: false,
});
