// Progressive enhancement: the server writes every time in the page's zone; with JavaScript on,
// each <time datetime> is rewritten in the visitor's own zone, in the same form (long, short,
// or a clock that adds the date when it is not today), and the page-zone text moves to `title`.
// live.js calls window.heraldLocalTime on the content it swaps in.
(function () {
  // The forms below are the English ones; a page in another language keeps the times the
  // server wrote in its words, in the page's zone (named in each).
  var lang = document.documentElement.lang || 'en';
  if (lang !== 'en' && lang.indexOf('en-') !== 0) return;
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch (e) {
    return;
  }
  // The forms server/domain/shared/zoned-time.ts writes: "Sun 22 Nov 2026, 02:00 UTC",
  // "Nov 21, 14:05 UTC", "14:30 UTC" or "Nov 22, 2026, 14:30 UTC". Anything else is left alone.
  var forms = {
    long: /^[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} \S+$/,
    short: /^[A-Z][a-z]{2} \d{1,2}, \d{2}:\d{2} \S+$/,
    clock: /^(?:[A-Z][a-z]{2} \d{1,2}, \d{4}, )?\d{2}:\d{2} \S+$/,
  };
  var fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    weekday: 'short',
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  });
  function parts(d) {
    var p = {};
    fmt.formatToParts(d).forEach(function (x) {
      p[x.type] = x.value;
    });
    // As on the server: Etc/UTC and GMT are written "UTC".
    if (p.timeZoneName === 'GMT') p.timeZoneName = 'UTC';
    return p;
  }
  function render(form, d) {
    var p = parts(d);
    var clock = p.hour + ':' + p.minute + ' ' + p.timeZoneName;
    if (form === 'long')
      return p.weekday + ' ' + p.day + ' ' + p.month + ' ' + p.year + ', ' + clock;
    if (form === 'short') return p.month + ' ' + p.day + ', ' + clock;
    var today = parts(new Date());
    var sameDay = p.year === today.year && p.month === today.month && p.day === today.day;
    return sameDay ? clock : p.month + ' ' + p.day + ', ' + p.year + ', ' + clock;
  }
  function run(root) {
    var times = (root || document).querySelectorAll('time[datetime]:not([data-local])');
    for (var i = 0; i < times.length; i++) {
      var el = times[i];
      var d = new Date(el.getAttribute('datetime'));
      var text = el.textContent.trim();
      var form = forms.long.test(text)
        ? 'long'
        : forms.short.test(text)
          ? 'short'
          : forms.clock.test(text)
            ? 'clock'
            : null;
      if (!form || isNaN(d.getTime())) continue;
      el.setAttribute('data-local', '');
      var local = render(form, d);
      if (local === text) continue;
      el.textContent = local;
      el.setAttribute('title', text);
    }
  }
  window.heraldLocalTime = run;
  run();
})();
