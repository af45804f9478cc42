// Behaviour shared by every page; no inline script anywhere (the Content-Security-Policy forbids it).
"use strict";

// A form field marked data-shown-when='{"decision": ["refuse"]}' applies only while the field
// it names has one of those values: it is hidden (and not sent) otherwise, and its
// "required when ..." hint gives way to the required mark. Without script every field shows.
function applyConditions(form) {
  const valueOf = (name) => {
    const checked = form.querySelector(`[name="${CSS.escape(name)}"]:checked`);
    if (checked) return checked.value;
    const input = form.querySelector(`select[name="${CSS.escape(name)}"], input[name="${CSS.escape(name)}"]:not([type=radio]):not([type=checkbox])`);
    return input ? input.value : "";
  };
  form.querySelectorAll("[data-shown-when]").forEach((field) => {
    const when = JSON.parse(field.dataset.shownWhen);
    const applies = Object.entries(when).some(([name, values]) => values.includes(valueOf(name)));
    field.hidden = !applies;
    field.querySelectorAll("input, select, textarea").forEach((input) => {
      input.disabled = !applies;
      input.required = applies;
      input.setAttribute("aria-required", applies ? "true" : "false");
    });
    field.querySelectorAll(".hint.when").forEach((hint) => { hint.hidden = true; });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form").forEach((form) => {
    if (!form.querySelector("[data-shown-when]")) return;
    applyConditions(form);
    form.addEventListener("change", () => applyConditions(form));
  });
});
