// Swagger UI (swagger-ui-dist, served from this bundle) over the API's own GET /openapi.json.
(async () => {
  let apiUrl = '';
  try {
    const res = await fetch('config.json');
    if (res.ok) apiUrl = ((await res.json()).apiUrl ?? '').replace(/\/$/, '');
  } catch {
    /* same origin */
  }
  const specUrl = `${apiUrl}/openapi.json`;
  document.getElementById('raw').href = specUrl;
  // eslint-disable-next-line no-undef
  SwaggerUIBundle({ url: specUrl, dom_id: '#reference', deepLinking: true, tryItOutEnabled: false });
})();
