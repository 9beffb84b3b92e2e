/* Copy and print buttons for receipts (the objection receipt's number and token).
 *
 * The buttons are rendered `hidden`: without JavaScript the page shows the codes as
 * selectable text (a tap selects a whole code, see .tjr-selectable in the CSS) and the
 * browser's own print command prints the receipt. With JavaScript they appear here.
 *   <button hidden data-tjr-copy="#element-id" data-tjr-copied="Copied">Copy</button>
 *   <button hidden data-tjr-print>Print</button>
 */
(function () {
  'use strict';

  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copyText(element) {
    var text = (element.textContent || '').trim();
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Older browsers and plain-HTTP sites: copy the selection.
    selectText(element);
    return document.execCommand('copy') ? Promise.resolve() : Promise.reject();
  }

  function announce(button, message) {
    var status = button.parentNode.querySelector('.tjr-copy-status');
    if (status) {
      status.textContent = message;
    }
  }

  function setUp() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-tjr-copy]'), function (button) {
      var target = document.querySelector(button.getAttribute('data-tjr-copy'));
      if (!target) {
        return;
      }
      button.hidden = false;
      button.addEventListener('click', function () {
        copyText(target).then(function () {
          announce(button, button.getAttribute('data-tjr-copied') || '');
        }, function () {
          // The copy was refused: leave the code selected for the user to copy.
          selectText(target);
        });
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-tjr-print]'), function (button) {
      button.hidden = false;
      button.addEventListener('click', function () { window.print(); });
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', setUp);
  } else {
    setUp();
  }
})();
