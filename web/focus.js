/**
 * Focus for keyboard and screen-reader users: after a dialog or a view closes,
 * the focus goes back to the control that opened it (WAI-ARIA Authoring
 * Practices, dialog pattern), not to the page's body.
 */

/**
 * Focus the element `find()` returns, now if it is there, else once the view
 * has rendered it (the store's subscriber renders synchronously after a
 * dispatch; lit may put a control back on the next render).
 */
export function focusWhenRendered(root, find) {
  const now = find();
  if (now) {
    now.focus();
    return;
  }
  const view = root.ownerDocument.defaultView;
  view.requestAnimationFrame(() => {
    const later = find();
    if (later) later.focus();
  });
}

/** True when a focusout moves the focus out of the element it fired on (or nowhere),
 * not from one of its controls to another. */
export function leftElement(event) {
  const to = event.relatedTarget;
  if (to) return !event.currentTarget.contains(to);
  // Nowhere: to the page's body (a click outside), or the window lost the focus (another
  // tab or app), which is not leaving: the focus comes back to the same control.
  return event.currentTarget.ownerDocument.hasFocus();
}
