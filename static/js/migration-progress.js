// Refresh a running migration's figures every few seconds (its details page), or the migrations
// in flight (the overview, whose fragment stays "running" while the page is open).
// The server renders the figures; this script fetches that fragment and swaps it in, and stops
// once the migration has ended. Without JavaScript the "Refresh" button reloads the page.
(function () {
  'use strict'

  var container = document.getElementById('migration-progress')
  if (!container || !window.fetch) return
  var url = container.getAttribute('data-progress-url')
  var seconds = parseInt(container.getAttribute('data-poll-seconds'), 10) || 5
  var failures = 0

  function running () {
    var progress = container.querySelector('[data-running]')
    return progress && progress.getAttribute('data-running') === 'true'
  }

  function schedule () {
    // Back off while the dashboard or the migration service is struggling.
    window.setTimeout(poll, seconds * 1000 * Math.min(1 + failures, 6))
  }

  function poll () {
    window.fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status)
        return response.text()
      })
      .then(function (html) {
        failures = 0
        var template = document.createElement('template')
        template.innerHTML = html.trim()
        var fresh = template.content.querySelector('[data-running]')
        if (!fresh) throw new Error('unexpected fragment')
        var current = container.querySelector('[data-running]')
        container.replaceChild(document.importNode(fresh, true), current)
        container.querySelectorAll('[data-module="govuk-button"]').forEach(function (button) {
          if (window.GOVUKFrontend && window.GOVUKFrontend.Button) {
            try { new window.GOVUKFrontend.Button(button) } catch (e) { /* already initialised */ }
          }
        })
        if (running()) schedule()
      })
      .catch(function () {
        failures += 1
        schedule()
      })
  }

  if (running()) schedule()
})()
