// Forms and links with data-confirm ask in the page's <dialog id="confirm-dialog"> before they act.
// A confirmed form carries confirmed=1; without JavaScript the server asks on a confirmation page instead.
(function () {
  var dialog = document.getElementById("confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") { return; }
  var text = document.getElementById("confirm-dialog-text");
  var okButton = dialog.querySelector("button[value=ok]");
  var pending = null;

  function ask(question, label, proceed) {
    text.textContent = question;
    okButton.textContent = label || "OK";
    pending = proceed;
    dialog.returnValue = "";
    dialog.showModal();
    okButton.focus();
  }

  dialog.addEventListener("close", function () {
    var proceed = pending;
    pending = null;
    if (proceed && dialog.returnValue === "ok") { proceed(); }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-confirm]") || form.dataset.confirmedOnce === "1") { return; }
    event.preventDefault();
    var submitter = event.submitter || null;
    ask(form.getAttribute("data-confirm"), form.getAttribute("data-confirm-label"), function () {
      var flag = form.querySelector("input[name=confirmed]");
      if (!flag) {
        flag = document.createElement("input");
        flag.type = "hidden";
        flag.name = "confirmed";
        form.appendChild(flag);
      }
      flag.value = "1";
      form.dataset.confirmedOnce = "1";
      if (form.requestSubmit) { form.requestSubmit(submitter); } else { form.submit(); }
    });
  }, true);

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-confirm]");
    if (!link) { return; }
    event.preventDefault();
    ask(link.getAttribute("data-confirm"), link.getAttribute("data-confirm-label"), function () {
      window.location.assign(link.href);
    });
  });
})();
