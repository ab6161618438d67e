// With JavaScript on, picking a component's status on the declare form opens its runbook.
document.addEventListener('change', (event) => {
  const el = event.target;
  if (!(el instanceof HTMLSelectElement) || !el.name.startsWith('component.')) return;
  const id = el.name.slice('component.'.length);
  const details = document.querySelector(`details[data-runbook-component="${CSS.escape(id)}"]`);
  if (details && el.value !== '') details.open = true;
});
