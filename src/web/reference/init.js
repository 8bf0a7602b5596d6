// Swagger UI over the daemon's own document; nothing is fetched from elsewhere (no validator badge).
window.addEventListener('DOMContentLoaded', () => {
  window.SwaggerUIBundle({ url: '/api/v1/openapi.json', dom_id: '#reference', validatorUrl: null, deepLinking: false });
});
