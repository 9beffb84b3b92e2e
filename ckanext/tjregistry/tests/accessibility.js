/* Measurements that test_accessibility.py runs inside the page (Selenium execute_script).
 *
 * contrastRows(): each visible element with text of its own, with its colour, the
 *   background painted behind it (its own and its ancestors' background colours
 *   composited, white at the bottom) and the WCAG 2.1 contrast ratio; over a gradient,
 *   the lowest ratio against its colour stops; over CKAN's texture (a small image over
 *   an opaque colour), against that colour. Text over a picture alone cannot be measured
 *   this way: its ratio is null.
 * unnamedControls(): links and buttons a person can reach that have no accessible name
 *   (an icon alone).
 * smallText(minimum): help text, badges and messages smaller than `minimum` pixels.
 * phoneLayout(): the page's scroll width and the positions of the content and the sidebar.
 */

function parseColour(value) {
  const match = /rgba?\(([^)]+)\)/.exec(value || '');
  if (!match) { return null; }
  const parts = match[1].split(/[\s,/]+/).filter(Boolean).map(Number);
  return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
}

function over(top, bottom) {
  const alpha = top[3] + bottom[3] * (1 - top[3]);
  if (alpha === 0) { return [0, 0, 0, 0]; }
  const mix = (i) => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / alpha;
  return [mix(0), mix(1), mix(2), alpha];
}

function luminance(rgb) {
  const channel = (value) => {
    const c = value / 255;
    return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * channel(rgb[0]) + 0.7152 * channel(rgb[1]) + 0.0722 * channel(rgb[2]);
}

function paintedBackgrounds(element) {
  // The colours that may be painted behind the element: one, or a gradient's stops.
  // null for a picture (url(...)), whose colours cannot be known here.
  const layers = [];
  let stops = null;
  for (let node = element; node && node.nodeType === 1; node = node.parentElement) {
    const style = getComputedStyle(node);
    const image = style.backgroundImage;
    const colour = parseColour(style.backgroundColor);
    if (image && image !== 'none') {
      if (image.includes('url(')) {
        // CKAN's texture (bg.png) over an opaque colour: measured against the colour.
        if (colour && colour[3] >= 1) { layers.push(colour); break; }
        return null;
      }
      stops = (image.match(/rgba?\([^)]+\)/g) || []).map(parseColour);
      if (!stops.length) { return null; }
      break;
    }
    if (colour && colour[3] > 0) {
      layers.push(colour);
      if (colour[3] >= 1) { break; }
    }
  }
  const bottoms = (stops || [[255, 255, 255, 1]]).map((stop) => over(stop, [255, 255, 255, 1]));
  return bottoms.map((bottom) => {
    let painted = bottom;
    for (let i = layers.length - 1; i >= 0; i--) { painted = over(layers[i], painted); }
    return painted;
  });
}

function isPainted(element) {
  const rect = element.getBoundingClientRect();
  if (rect.width <= 1 || rect.height <= 1) { return false; }
  for (let node = element; node && node.nodeType === 1; node = node.parentElement) {
    const style = getComputedStyle(node);
    if (style.display === 'none' || style.visibility === 'hidden') { return false; }
    if (Number(style.opacity) === 0) { return false; }
    // Bootstrap's visually-hidden text: read by screen readers, not painted.
    if (style.position === 'absolute' && style.clip === 'rect(0px, 0px, 0px, 0px)') {
      return false;
    }
  }
  return true;
}

function describe(element) {
  const parts = [];
  for (let node = element; node && node.nodeType === 1 && parts.length < 4;
       node = node.parentElement) {
    let part = node.tagName.toLowerCase();
    if (node.id) {
      part += '#' + node.id;
    } else if (node.classList.length) {
      part += '.' + Array.from(node.classList).slice(0, 2).join('.');
    }
    parts.unshift(part);
  }
  return parts.join(' > ');
}

function contrastRows() {
  const skipped = ['SCRIPT', 'STYLE', 'NOSCRIPT', 'OPTION', 'TEMPLATE'];
  const rows = [];
  for (const element of document.body.querySelectorAll('*')) {
    if (skipped.includes(element.tagName)) { continue; }
    const own = Array.from(element.childNodes)
      .filter((node) => node.nodeType === 3).map((node) => node.textContent).join('').trim();
    if (!own || !isPainted(element)) { continue; }
    // WCAG exempts disabled controls.
    if (element.closest('[disabled], .disabled')) { continue; }
    const style = getComputedStyle(element);
    // Image replacement (CKAN's format icons): the text is moved out of sight.
    if (Math.abs(parseFloat(style.textIndent)) >= element.getBoundingClientRect().width) {
      continue;
    }
    const backs = paintedBackgrounds(element);
    const fore = parseColour(style.color);
    const row = {where: describe(element), text: own.slice(0, 40),
                 size: parseFloat(style.fontSize), ratio: null};
    if (backs && fore) {
      // Against a gradient, the worst of its stops.
      for (const back of backs) {
        const a = luminance(over(fore, back));
        const b = luminance(back);
        const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        if (row.ratio === null || ratio < row.ratio) {
          row.ratio = ratio;
          row.colours = style.color + ' on rgb(' +
            back.slice(0, 3).map(Math.round).join(', ') + ')';
        }
      }
    }
    rows.push(row);
  }
  return rows;
}

function accessibleName(element) {
  const labelledBy = element.getAttribute('aria-labelledby');
  if (labelledBy) {
    return labelledBy.split(/\s+/)
      .map((id) => (document.getElementById(id) || {}).textContent || '').join(' ').trim();
  }
  const images = Array.from(element.querySelectorAll('img[alt]')).map((img) => img.alt);
  return [element.getAttribute('aria-label'), element.textContent, ...images,
          element.getAttribute('title'), element.value]
    .filter(Boolean).join(' ').trim();
}

function unnamedControls() {
  const selector = 'a[href], button, [role=button], input[type=submit], input[type=button]';
  return Array.from(document.querySelectorAll(selector))
    .filter((element) => isPainted(element) && !accessibleName(element))
    .map((element) => element.outerHTML.slice(0, 200));
}

function smallText(minimum) {
  const selector = ['.badge', '.form-text', '.info-block', '.error-block', '.alert',
                    '.tjr-result-registration', 'small', '.small'].join(', ');
  return Array.from(document.querySelectorAll(selector))
    .filter((element) => isPainted(element) && (element.textContent || '').trim())
    .map((element) => [describe(element), (element.textContent || '').trim().slice(0, 30),
                       parseFloat(getComputedStyle(element).fontSize)])
    .filter((row) => row[2] < minimum);
}

function phoneLayout() {
  const primary = document.querySelector('.wrapper > .primary, [role=main]');
  const secondary = document.querySelector('.wrapper > .secondary');
  const top = (element) => (element && isPainted(element)
    ? element.getBoundingClientRect().top + window.scrollY : null);
  return {
    scrollWidth: document.scrollingElement.scrollWidth,
    innerWidth: window.innerWidth,
    primaryTop: top(primary),
    secondaryTop: top(secondary),
  };
}
