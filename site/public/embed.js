// Herald's embeddable banner: <script src="https://status.example.com/embed.js" async></script>
// Shows a dismissible banner while an incident or maintenance is active, inside a shadow root
// (the host's CSS never reaches it), built from text nodes only, no inline script or style
// attribute, so it works under a strict CSP whose script-src and connect-src allow Herald.
(function () {
  var script = document.currentScript;
  if (!script || !script.src) return;
  var origin = new URL(script.src).origin;
  var KEY = 'herald-embed-dismissed';

  function dismissed() {
    try {
      return sessionStorage.getItem(KEY) || '';
    } catch (e) {
      return '';
    }
  }
  function remember(v) {
    try {
      sessionStorage.setItem(KEY, v);
    } catch (e) {
      /* storage blocked: dismissal lasts until the next page view */
    }
  }

  var css =
    ':host{all:initial}' +
    '.b{position:fixed;left:0;right:0;bottom:0;z-index:2147483647;display:flex;gap:.75em;align-items:center;' +
    'padding:.6em 1em;font:14px/1.4 system-ui,sans-serif;color:#fff;background:#a0430a;box-shadow:0 -2px 8px rgba(0,0,0,.25)}' +
    '.b.critical{background:#a40e26}.b.minor,.b.none{background:#7d4e00}.b.maintenance{background:#0b5394}' +
    '.t{flex:1;min-width:0}.t strong{font-weight:700}a{color:#fff;font-weight:600}' +
    'button{font:inherit;color:#fff;background:transparent;border:1px solid rgba(255,255,255,.7);border-radius:4px;padding:.1em .6em;cursor:pointer}';

  function show(data) {
    var active = data.active || [];
    if (!active.length) return;
    var sig = active
      .map(function (a) {
        return a.id + '@' + a.updated_at;
      })
      .join(',');
    if (dismissed() === sig) return;
    var first = active[0];
    var host = document.createElement('div');
    host.setAttribute('data-herald-embed', '');
    var root = host.attachShadow({ mode: 'open' });
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      var style = document.createElement('style');
      style.textContent = css;
      root.appendChild(style);
    }
    var bar = document.createElement('div');
    bar.className = 'b ' + String(first.impact || '');
    bar.setAttribute('role', 'status');
    var text = document.createElement('div');
    text.className = 't';
    var title = document.createElement('strong');
    title.textContent = first.name;
    var texts = data.texts || {};
    if (data.lang) bar.setAttribute('lang', String(data.lang));
    if (data.dir === 'rtl' || data.dir === 'ltr') bar.setAttribute('dir', data.dir);
    var status = String(first.status || '').replace(/_/g, ' ');
    status = first.status_text || status.charAt(0).toUpperCase() + status.slice(1);
    text.appendChild(title);
    text.appendChild(document.createTextNode(' · ' + status));
    if (active.length > 1)
      text.appendChild(
        document.createTextNode(' ' + (texts.more || '(+' + (active.length - 1) + ' more)')),
      );
    text.appendChild(document.createTextNode(' '));
    var link = document.createElement('a');
    link.href = /^https?:\/\//.test(first.url) ? first.url : origin;
    link.textContent = texts.details || 'Details';
    text.appendChild(link);
    var close = document.createElement('button');
    close.type = 'button';
    close.textContent = texts.dismiss || 'Dismiss';
    close.setAttribute('aria-label', texts.dismiss_label || 'Dismiss the status banner');
    close.addEventListener('click', function () {
      remember(sig);
      host.remove();
    });
    bar.appendChild(text);
    bar.appendChild(close);
    root.appendChild(bar);
    document.body.appendChild(host);
  }

  // The banner's language: data-lang on the script tag, or ?lang= in its src; else the page's
  // default language.
  var lang = script.getAttribute('data-lang') || new URL(script.src).searchParams.get('lang');
  var query = lang ? '?lang=' + encodeURIComponent(lang) : '';
  fetch(origin + '/api/embed.json' + query, { credentials: 'omit' })
    .then(function (r) {
      return r.ok ? r.json() : null;
    })
    .then(function (d) {
      if (!d) return;
      if (document.body) show(d);
      else
        document.addEventListener('DOMContentLoaded', function () {
          show(d);
        });
    })
    .catch(function () {
      /* Herald unreachable: show nothing rather than break the host page */
    });
})();
