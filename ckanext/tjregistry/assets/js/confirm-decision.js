/* Confirmation of decisions that cannot be undone (refusal, rejection, revocation).
 *
 * A form marked data-tjr-confirm="question" carries a required "I confirm" checkbox
 * (.tjr-confirm-fallback), which is all a browser without JavaScript uses. With
 * JavaScript the checkbox is replaced by a dialog asked when the form is sent:
 * data-tjr-confirm-ok and data-tjr-confirm-cancel name its two buttons.
 */
(function () {
  'use strict';

  function ask(form, proceed) {
    var question = form.getAttribute('data-tjr-confirm');
    if (typeof HTMLDialogElement !== 'function') {
      if (window.confirm(question)) { proceed(); }
      return;
    }
    var dialog = document.createElement('dialog');
    dialog.className = 'tjr-confirm-dialog';
    dialog.setAttribute('role', 'alertdialog');
    var text = document.createElement('p');
    text.textContent = question;
    text.id = 'tjr-confirm-question';
    dialog.setAttribute('aria-describedby', text.id);
    var buttons = document.createElement('div');
    buttons.className = 'tjr-confirm-buttons';
    var cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.className = 'btn btn-secondary tjr-confirm-cancel';
    cancel.textContent = form.getAttribute('data-tjr-confirm-cancel') || 'Cancel';
    var ok = document.createElement('button');
    ok.type = 'button';
    ok.className = 'btn btn-danger tjr-confirm-ok';
    ok.textContent = form.getAttribute('data-tjr-confirm-ok') || 'OK';
    buttons.appendChild(cancel);
    buttons.appendChild(ok);
    dialog.appendChild(text);
    dialog.appendChild(buttons);
    document.body.appendChild(dialog);
    dialog.addEventListener('close', function () { dialog.remove(); });
    cancel.addEventListener('click', function () { dialog.close(); });
    ok.addEventListener('click', function () { dialog.close(); proceed(); });
    dialog.showModal();
    cancel.focus();  // the safe choice has the focus
  }

  function guard(form) {
    var fallback = form.querySelector('.tjr-confirm-fallback');
    if (fallback) {
      var box = fallback.querySelector('input[type=checkbox]');
      if (box) { box.required = false; box.checked = true; }
      fallback.hidden = true;
    }
    var confirmed = false;
    form.addEventListener('submit', function (event) {
      if (confirmed) { return; }
      event.preventDefault();
      ask(form, function () {
        confirmed = true;
        // requestSubmit runs the form's own validation again; submit() is the fallback.
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      });
    });
  }

  function start() {
    var forms = document.querySelectorAll('form[data-tjr-confirm]');
    for (var i = 0; i < forms.length; i++) { guard(forms[i]); }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
