// Initialise the GOV.UK and MOJ components on every page. Loaded from a static file (never
// inline) so the Content Security Policy needs no 'unsafe-inline'.
window.GOVUKFrontend.initAll()
window.MOJFrontend.initAll()
