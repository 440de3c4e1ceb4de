/*
 * Copy buttons of the portal and the admin, a static file because the Content-Security-Policy
 * (tms_gateway/common/csp.py) runs no inline script or on*= handler.
 *
 * <button data-copy="ID" data-copied="Copied"> copies the value (of an input) or the text of
 * the element with id ID, then shows its data-copied text; without the clipboard (a page not
 * served over HTTPS) it selects an input's text for the user to copy. <input data-select-all>
 * selects its text when clicked.
 */
(function () {
  "use strict";

  function copy(button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target) {
      return;
    }
    var isInput = target.tagName === "INPUT" || target.tagName === "TEXTAREA";
    if (!navigator.clipboard) {
      if (isInput) {
        target.select();
      }
      return;
    }
    navigator.clipboard.writeText(isInput ? target.value : target.textContent).then(function () {
      var copied = button.getAttribute("data-copied");
      if (copied) {
        button.textContent = copied;
      }
    });
  }

  document.addEventListener("click", function (event) {
    var element = event.target;
    if (!(element instanceof Element)) {
      return;
    }
    var button = element.closest("button[data-copy]");
    if (button) {
      copy(button);
      return;
    }
    if (element.matches("input[data-select-all]")) {
      element.select();
    }
  });
})();
