// With JavaScript on, a form being sent takes no second click: its buttons are disabled until
// the answer arrives (or for 10 seconds, in case it never does). Without JavaScript the server
// runs a form's one-time token once anyway (server/web/forms/once.ts); this only spares the
// person a second request.
const SENDING = 'sending';
const release = (form) => {
  delete form.dataset[SENDING];
  for (const b of form.querySelectorAll('[data-disabled-while-sending]')) {
    b.disabled = false;
    delete b.dataset.disabledWhileSending;
  }
};
document.addEventListener('submit', (event) => {
  const form = event.target;
  if (event.defaultPrevented || !(form instanceof HTMLFormElement) || form.method !== 'post')
    return;
  if (form.dataset[SENDING]) {
    event.preventDefault();
    return;
  }
  form.dataset[SENDING] = '1';
  // After this turn: the browser has already taken the pressed button's name and value.
  setTimeout(() => {
    for (const b of form.querySelectorAll('button, input[type="submit"]')) {
      if (b.disabled) continue;
      b.disabled = true;
      b.dataset.disabledWhileSending = '1';
    }
  });
  setTimeout(() => release(form), 10_000);
});
// Back to a page the browser kept in memory: its forms can be sent again.
addEventListener('pageshow', (event) => {
  if (event.persisted) for (const form of document.forms) release(form);
});
