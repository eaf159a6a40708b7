// Remember the browser's time zone so the server can show times in it.
(function () {
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz && document.cookie.indexOf("tz=" + tz) === -1) {
      document.cookie = "tz=" + tz + "; path=/; SameSite=Lax";
    }
  } catch (e) { /* older browsers: times stay in the server's zone */ }
  // htmx requests carry the CSRF token from the cookie-less template tag.
  document.body.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (token) { event.detail.headers["X-CSRFToken"] = token.value; }
  });
  // A checkbox with data-tick-all="NAME" ticks or unticks every checkbox named NAME (no inline handler: the
  // Content-Security-Policy runs scripts from static files only).
  document.addEventListener("change", function (event) {
    var master = event.target.closest("input[data-tick-all]");
    if (!master) { return; }
    document.querySelectorAll('input[type=checkbox][name="' + master.getAttribute("data-tick-all") + '"]').forEach(function (box) {
      box.checked = master.checked;
    });
  });
  // A field with data-shown-when="NAME=VALUE" shows only while the form's radio buttons or select NAME say VALUE
  // (without JavaScript every field shows, and the server ignores those that do not apply).
  function applyShownWhen() {
    document.querySelectorAll("[data-shown-when]").forEach(function (field) {
      var rule = field.getAttribute("data-shown-when").split("=");
      var control = field.form && field.form.elements[rule[0]];
      if (!control) { return; }
      var wrapper = document.getElementById("div_" + field.id) || field.parentElement;
      wrapper.hidden = control.value !== rule[1];
    });
  }
  document.addEventListener("change", applyShownWhen);
  applyShownWhen();
  // Tooltips (why a button is disabled, say); the title attribute already says it without JavaScript.
  if (window.bootstrap && window.bootstrap.Tooltip) {
    document.querySelectorAll("[data-bs-toggle=tooltip]").forEach(function (el) { new window.bootstrap.Tooltip(el); });
  }
})();
