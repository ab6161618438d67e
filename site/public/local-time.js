// Progressive enhancement: times on the page are shown in the page's time zone; with
// JavaScript on, hovering (or long-pressing) one shows it in the visitor's own zone too.
(function () {
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  var fmt = new Intl.DateTimeFormat(undefined, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  });
  var times = document.querySelectorAll('time[datetime]');
  for (var i = 0; i < times.length; i++) {
    var d = new Date(times[i].getAttribute('datetime'));
    if (isNaN(d.getTime()) || times[i].hasAttribute('title')) continue;
    times[i].setAttribute('title', 'Your time (' + zone + '): ' + fmt.format(d));
    times[i].classList.add('has-local-time');
  }
})();
