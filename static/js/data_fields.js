// Marketing > Dotdigital pages. No inline script anywhere: the Content-Security-Policy runs static files only.
(function () {
  // Create Data Field: the Default value widget follows the Type (a date picker, Yes/No, a number, text).
  // Without JavaScript the page keeps the widget it came with and the server checks what was typed.
  function defaultWidget(type, current) {
    var el;
    if (type === "Boolean") {
      el = document.createElement("select");
      el.className = "form-select";
      [["", "—"], ["Yes", "Yes"], ["No", "No"]].forEach(function (pair) {
        var option = document.createElement("option");
        option.value = pair[0];
        option.textContent = pair[1];
        el.appendChild(option);
      });
    } else {
      el = document.createElement("input");
      el.className = "form-control";
      el.type = type === "Date" ? "date" : type === "Numeric" ? "number" : "text";
      if (type === "Numeric") { el.step = "any"; el.inputMode = "decimal"; }
      el.maxLength = 255;
    }
    ["name", "id", "aria-describedby"].forEach(function (name) {
      if (current.hasAttribute(name)) { el.setAttribute(name, current.getAttribute(name)); }
    });
    el.setAttribute("data-default-value", "");
    el.autocomplete = "off";
    return el;
  }
  var HELP = {
    String: "Optional. The value a contact has until one is set.",
    Numeric: "Optional. A number, for example 10 or 4.5.",
    Date: "Optional. A date, YYYY-MM-DD.",
    Boolean: "Optional. Yes or No."
  };
  document.addEventListener("change", function (event) {
    var type = event.target.closest("select[data-field-type]");
    if (!type) { return; }
    var current = document.querySelector("[data-default-value]");
    if (!current) { return; }
    var replacement = defaultWidget(type.value, current);
    current.replaceWith(replacement);
    var help = document.getElementById(replacement.id + "_helptext");
    if (help && HELP[type.value]) { help.textContent = HELP[type.value]; }
  });

  // Data Field Mappings: rows are added in place (htmx) and removed in place; without JavaScript the Remove
  // checkboxes and the blank rows do the same on Save.
  function enhance(root) {
    root.querySelectorAll("[data-delete-box]").forEach(function (box) { box.classList.add("d-none"); });
    root.querySelectorAll("[data-remove-row]").forEach(function (button) { button.classList.remove("d-none"); });
    root.querySelectorAll("[data-add-row]").forEach(function (button) { button.classList.remove("d-none"); });
    root.querySelectorAll("[data-no-js-hint]").forEach(function (hint) { hint.classList.add("d-none"); });
  }
  enhance(document);
  document.body.addEventListener("htmx:afterSwap", function (event) { enhance(event.detail.target || document); });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-row]");
    if (!button) { return; }
    var row = button.closest("[data-mapping-row]");
    var box = row && row.querySelector("input[type=checkbox][name$='-DELETE']");
    if (!box) { return; }
    box.checked = true;
    row.hidden = true;
    row.classList.add("d-none");
  });
})();
