// Progressive enhancement: with JavaScript on, an open page follows Herald's change counter
// (Server-Sent Events from /api/changes) and, when it moves, fetches itself again and swaps
// in the new <main>. Without JavaScript, or without EventSource, the page is as it always was.
(function () {
  if (!window.EventSource || !window.fetch || !window.DOMParser) return;
  var meta = document.querySelector('meta[name="herald-changes"]');
  var seen = meta ? meta.getAttribute('content') : null;
  var busy = false;
  var again = false;

  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch(location.href, { credentials: 'same-origin', cache: 'no-cache' })
      .then(function (r) {
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var fresh = doc.querySelector('main');
        var old = document.querySelector('main');
        var footer = doc.querySelector('.site-footer');
        if (!fresh || !old) return;
        // Keep what the visitor is typing (the subscribe box) untouched.
        if (old.contains(document.activeElement) && document.activeElement.tagName === 'INPUT')
          return;
        old.replaceWith(fresh);
        var oldFooter = document.querySelector('.site-footer');
        if (footer && oldFooter) oldFooter.replaceWith(footer);
        document.title = doc.title;
        // The new content comes in the page's zone: show its times in the visitor's again.
        if (window.heraldLocalTime) {
          window.heraldLocalTime(fresh);
          if (footer && oldFooter) window.heraldLocalTime(footer);
        }
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  var source = new EventSource('/api/changes');
  source.addEventListener('change', function (e) {
    if (seen === null) seen = e.data;
    if (e.data === seen) return;
    seen = e.data;
    refresh();
  });
})();
