/* The registration record form (templates/scheming/package/snippets/package_form.html):
 * keeps the progress indicator's counts current while the user types, opens the section
 * of a field reached through a link (#field-...: the error summary, the progress steps),
 * and offers to open or close every section. The form works without it. */
(function () {
  'use strict';

  function filled(input) {
    if (input.type === 'checkbox' || input.type === 'radio') { return input.checked; }
    return (input.value || '').trim() !== '';
  }

  function fieldsOf(section) {
    return Array.prototype.slice.call(section.querySelectorAll('.tjr-field'));
  }

  function isFilled(field) {
    var inputs = field.querySelectorAll('input:not([type=hidden]), select, textarea');
    for (var i = 0; i < inputs.length; i++) { if (filled(inputs[i])) { return true; } }
    return false;
  }

  function update(form) {
    var total = 0, done = 0, missing = 0;
    form.querySelectorAll('details.tjregistry-field-group').forEach(function (section) {
      var fields = fieldsOf(section), sectionDone = 0;
      fields.forEach(function (field) {
        if (isFilled(field)) { sectionDone += 1; }
        else if (field.classList.contains('tjr-field-registration-required')
                 || field.querySelector('.control-required')) { missing += 1; }
      });
      total += fields.length;
      done += sectionDone;
      var step = form.querySelector('.tjr-step[data-group="' + section.dataset.group + '"]');
      if (step) {
        step.querySelector('.tjr-step-filled').textContent = sectionDone;
      }
      var count = section.querySelector('.tjr-group-filled');
      if (count) { count.textContent = sectionDone; }
    });
    var bar = form.querySelector('#tjr-progress-bar');
    if (bar) { bar.max = total; bar.value = done; }
    var filledText = form.querySelector('.tjr-count-filled');
    if (filledText) { filledText.textContent = done; }
    var missingText = form.querySelector('.tjr-count-missing');
    if (missingText) { missingText.textContent = missing; }
  }

  function openFor(hash) {
    if (!hash || hash.length < 2) { return; }
    var target = document.getElementById(decodeURIComponent(hash.slice(1)));
    if (!target) { return; }
    var section = target.closest('details');
    if (section && !section.open) { section.open = true; }
    if (target.tagName !== 'DETAILS') { target.focus({preventScroll: false}); }
  }

  function init() {
    var progress = document.getElementById('tjr-form-progress');
    var form = progress && progress.closest('form');
    if (!form) { return; }
    form.addEventListener('input', function () { update(form); });
    form.addEventListener('change', function () { update(form); });
    document.addEventListener('click', function (event) {
      var link = event.target.closest('a[href^="#field-"]');
      if (link) { openFor(link.getAttribute('href')); }
    });
    window.addEventListener('hashchange', function () { openFor(window.location.hash); });
    openFor(window.location.hash);

    var toggle = document.createElement('button');
    toggle.type = 'button';
    toggle.className = 'btn btn-link btn-sm tjr-toggle-sections';
    toggle.textContent = progress.dataset.openAll || 'Open all sections';
    toggle.addEventListener('click', function () {
      var sections = form.querySelectorAll('details.tjregistry-field-group');
      var anyClosed = Array.prototype.some.call(sections, function (s) { return !s.open; });
      sections.forEach(function (s) { s.open = anyClosed; });
      toggle.textContent = anyClosed ? (progress.dataset.closeAll || 'Close all sections')
                                     : (progress.dataset.openAll || 'Open all sections');
    });
    progress.appendChild(toggle);
    update(form);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
