// numbers-mock dashboard: the little script its pages need, hand-written, no dependencies.
//
// - Live regions: every element with `data-live` and an id is fetched again from the
//   page's own URL every second (short polling) and swapped in when it changed, keeping
//   the focus on the element that had it.
// - Actions: a button or form with `data-api="METHOD /_mock/..."` calls the control API
//   (JSON; a form's fields become the body, `{name}` in the path takes the field of that
//   name), says what happened in the status region and refreshes the live regions.
// - Copy buttons: `data-copy` puts its text on the clipboard.
"use strict";
(function () {
  const poll = Number(document.querySelector('meta[name="numbers-mock-poll-ms"]')?.content || 1000);
  const status = document.getElementById("status");
  let busy = false;

  function say(text, failed) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("failed", Boolean(failed));
  }

  async function callApi(spec, body) {
    const [method, url] = spec.trim().split(/\s+/, 2);
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (_) {
      data = null;
    }
    if (!response.ok) {
      const detail = data && (data.detail || data.title);
      throw new Error(`${response.status}: ${detail || response.statusText}`);
    }
    return data;
  }

  async function refresh() {
    const regions = document.querySelectorAll("[data-live][id]");
    if (!regions.length) return;
    const response = await fetch(location.href, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    });
    if (response.status === 401) {
      say("Signed out: the control plane wants its token.", true);
      return;
    }
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const region of regions) {
      const fresh = doc.getElementById(region.id);
      if (!fresh || fresh.innerHTML === region.innerHTML) continue;
      const focused = document.activeElement;
      const keep = focused && region.contains(focused) && focused.id ? focused.id : null;
      const open = [...region.querySelectorAll("details[open]")].map((d) => d.querySelector("summary")?.textContent);
      region.innerHTML = fresh.innerHTML;
      for (const details of region.querySelectorAll("details")) {
        if (open.includes(details.querySelector("summary")?.textContent)) details.open = true;
      }
      if (keep) document.getElementById(keep)?.focus();
    }
  }

  async function tick() {
    if (!busy && !document.hidden) {
      busy = true;
      try {
        await refresh();
      } catch (_) {
        // The mock stopped, or is restarting: try again at the next tick.
      } finally {
        busy = false;
      }
    }
    setTimeout(tick, poll);
  }

  function setPath(target, path, value) {
    let node = target;
    path.slice(0, -1).forEach((key) => {
      node = node[key] = node[key] || {};
    });
    node[path[path.length - 1]] = value;
  }

  // A form's enabled, filled-in fields as JSON: `a.b` nests, `data-type` converts, a field
  // named `_x` is not sent, and `data-pair="a b"` splits its value into path fields a and b.
  function formRequest(form) {
    let spec = form.dataset.api;
    const body = {};
    const path = {};
    for (const field of form.elements) {
      if (!field.name || field.matches(":disabled")) continue;
      if (field.dataset.pair) {
        const names = field.dataset.pair.split(" ");
        field.value.split(" ").forEach((part, i) => (path[names[i]] = part));
        continue;
      }
      if (field.name.startsWith("_") || field.value === "") continue;
      const type = field.dataset.type || "string";
      let value = field.value;
      if (type === "number") value = Number(value);
      else if (type === "integer") value = parseInt(value, 10);
      if (spec.includes(`{${field.name}}`)) path[field.name] = value;
      else setPath(body, field.name.split("."), value);
    }
    for (const [name, value] of Object.entries(path)) {
      spec = spec.replace(`{${name}}`, encodeURIComponent(value));
    }
    return [spec, body];
  }

  async function act(element, spec, body) {
    if (element.dataset.confirm && !window.confirm(element.dataset.confirm)) return;
    element.setAttribute("aria-busy", "true");
    try {
      await callApi(spec, body);
      say(element.dataset.done || "Done");
      const then = element.dataset.then;
      if (then === "reload") location.reload();
      else if (then) location.assign(then);
      else await refresh();
    } catch (error) {
      say(error.message, true);
    } finally {
      element.removeAttribute("aria-busy");
    }
  }

  document.addEventListener("click", (event) => {
    const copy = event.target.closest("[data-copy]");
    if (copy) {
      const text = copy.dataset.copy;
      navigator.clipboard.writeText(text).then(
        () => say(`Copied ${text}`),
        () => say(`Could not copy: select ${text} and copy it`, true),
      );
      return;
    }
    const button = event.target.closest("button[data-api]");
    if (button) {
      const body = button.dataset.body ? JSON.parse(button.dataset.body) : undefined;
      act(button, button.dataset.api, body);
    }
  });

  document.addEventListener("submit", (event) => {
    const filter = event.target.closest('form[method="get"]');
    if (filter) {
      // The API refuses empty query parameters: an empty filter is left out.
      for (const field of filter.elements) if (field.name && field.value === "") field.disabled = true;
      return;
    }
    const form = event.target.closest("form[data-api]");
    if (!form) return;
    event.preventDefault();
    const [spec, body] = formRequest(form);
    act(form, spec, body);
  });

  // A select with `data-switch` shows the fieldset it names and disables the others.
  function switchTo(select) {
    for (const fieldset of document.querySelectorAll(`[data-switched="${select.dataset.switch}"]`)) {
      const on = fieldset.id === select.value;
      fieldset.disabled = !on;
      fieldset.hidden = !on;
    }
  }
  document.addEventListener("change", (event) => {
    if (event.target.matches("select[data-switch]")) switchTo(event.target);
  });
  document.querySelectorAll("select[data-switch]").forEach(switchTo);

  setTimeout(tick, poll);
})();
