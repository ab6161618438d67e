// With JavaScript on, the triage countdowns on the dashboard tick without a reload.
function tick() {
  for (const el of document.querySelectorAll('[data-countdown]')) {
    const left = new Date(el.getAttribute('data-countdown')).getTime() - Date.now();
    const minutes = Math.max(1, Math.ceil(Math.abs(left) / 60000));
    el.textContent = left > 0 ? ` ${minutes} min left to decide` : ` OVERDUE by ${minutes} min`;
    el.className = left > 0 ? 'due-soon' : 'overdue';
  }
}
setInterval(tick, 15000);
