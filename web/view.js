/**
 * The view: the only module that touches the DOM.
 *
 * It renders the state with lit-html (which escapes every value: user text
 * is never parsed as HTML) and hands the controller domain values through
 * `bind*` hooks (a note id, a field, a text), never DOM events.
 */

import { html, nothing, render } from 'lit-html';
import { row_of } from './build/shared_reducers.js';
import { guard } from 'lit-html/directives/guard.js';
import { repeat } from 'lit-html/directives/repeat.js';
import { styleMap } from 'lit-html/directives/style-map.js';
import { Fields, colourOf } from './fields.js';
import { unsyncedCount } from './pending.js';
import { MAX_TITLE, createNoteOrder, isConflictCopy, mayRemove, mayRestore, mayWrite } from './notes.js';
import { caretsOn, othersOn } from './presence.js';
import { keyOf, unsentCount, unsentNotes } from './sessions.js';
import { focusWhenRendered, leftElement } from './focus.js';
import { mayChangePrivacy } from './privacy.js';
import { foundNotes, searching } from './search.js';
import { ListWindow } from './window.js';

/** After a deleted note's offer takes the focus, keyboard presses of its buttons wait this long. */
const KEYS_IGNORED_MS = 1500;

const STATUS_CLASS = { Live: 'live', Offline: 'offline', Reconnecting: 'reconnecting' };

// Intl formatters are costly to make (toLocaleTimeString makes one per call): one each, and
// each timestamp formatted once (the recent events list shows the same ones render after render).
const CLOCK = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const MOMENT = new Intl.DateTimeFormat([], {
  day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
});

function formatter(format) {
  const seen = new Map();
  return (timestamp) => {
    if (!timestamp) return '';
    let text = seen.get(timestamp);
    if (text === undefined) {
      const date = new Date(timestamp);
      text = Number.isNaN(date.getTime()) ? '' : format.format(date);
      if (seen.size >= 1000) seen.clear();
      seen.set(timestamp, text);
    }
    return text;
  };
}

const clock = formatter(CLOCK);
const moment = formatter(MOMENT);

function plural(count, one, many) {
  return count + ' ' + (count === 1 ? one : many);
}

export class View {
  /** @param {Document} document */
  constructor(document) {
    this.document = document;
    this.root = document.getElementById('app');
    this.handlers = {};
    this.cleared = false;
    this.rendering = false;
    this.queued = null;
    this.state = null;
    this.lostSeen = new Set();
    // Only the cards on screen are rendered (window.js); the order is kept between renders.
    this.order = createNoteOrder();
    this.pastOrder = createNoteOrder();
    this.listIds = [];
    this.window = new ListWindow(document.defaultView, () => this.state && this.render(this.state));
    this.fields = new Fields(document, {
      type: (noteId, field, splices) => this.handlers.type(noteId, field, splices),
      caret: (where) => this.handlers.caret(where),
    });
    // Others' carets follow the text when it scrolls or the window changes size.
    document.defaultView.addEventListener('resize', () => this.state && this.drawCarets(this.state, true));
  }

  /** The state the server embedded in the first render. */
  readInitialState() {
    const script = this.document.getElementById('initial-state');
    return JSON.parse(script.textContent);
  }

  /** `ws://host/ws?after=SEQ` for this page's origin. */
  socketUrl(after) {
    const location = this.document.location;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return scheme + '//' + location.host + '/ws?after=' + encodeURIComponent(String(after));
  }

  bindNewNote(handler) { this.handlers.newNote = handler; }
  /** `handler(query)`: the text of "Search notes" changed (empty: the search is cleared). */
  bindSearch(handler) { this.handlers.search = handler; }
  bindMoreResults(handler) { this.handlers.moreResults = handler; }
  /** `handler(noteId, field, splices)`: the person typed (splices in code points of the shown text). */
  bindType(handler) { this.handlers.type = handler; }
  /** `handler({noteId, field, selection} | null)`: where this person's caret is (null: in no field). */
  bindCaret(handler) { this.handlers.caret = handler; }
  /** `handler(noteId, field)`: the person left a field they may have typed in. */
  bindLeaveField(handler) { this.handlers.leaveField = handler; }
  /** `handler(lost, how)`: keep the text of a note deleted under the person's typing;
   * `how` is "restore" or "copy". */
  bindKeepLost(handler) { this.handlers.keepLost = handler; }
  bindDismissLost(handler) { this.handlers.dismissLost = handler; }
  bindAskDelete(handler) { this.handlers.askDelete = handler; }
  bindConfirmDelete(handler) { this.handlers.confirmDelete = handler; }
  bindCancelDelete(handler) { this.handlers.cancelDelete = handler; }
  bindDismiss(handler) { this.handlers.dismiss = handler; }
  /** `handler(value)`: the slider moved (a seq before the events are loaded, then a position). */
  bindTimeMachine(handler) { this.handlers.timeMachine = handler; }
  bindBackToNow(handler) { this.handlers.backToNow = handler; }
  /** `handler(note, fromPast)`: restore this deleted note with this content. */
  bindRestore(handler) { this.handlers.restore = handler; }
  bindToggleDeleted(handler) { this.handlers.toggleDeleted = handler; }
  /** `handler(noteId)`: the focus left the note (its fields, toggles and buttons). */
  bindLeaveNote(handler) { this.handlers.leaveNote = handler; }
  /** `handler(noteId, isPrivate)`: the author ticked or unticked the note's "Private". */
  bindPrivacy(handler) { this.handlers.privacy = handler; }

  /** `hasUnsaved()` true -> the browser asks before leaving the page. */
  bindLeavePage(hasUnsaved) {
    this.document.defaultView.addEventListener('beforeunload', (event) => {
      if (!hasUnsaved()) return;
      event.preventDefault();
      event.returnValue = '';
    });
  }

  /** Called when the browser says the network is back. */
  bindOnline(handler) {
    this.document.defaultView.addEventListener('online', () => handler());
  }

  /** Focus goes back to the control that opened a dialog or view (focus.js). */
  focusDelete(noteId) { focusWhenRendered(this.root, () => this.noteItem(noteId)?.querySelector('.meta button.danger')); }
  focusTimeMachine() { focusWhenRendered(this.root, () => this.root.querySelector('#time-machine')); }
  focusDeletedToggle() { focusWhenRendered(this.root, () => this.root.querySelector('[aria-controls="deleted-notes"]')); }
  noteItem(noteId) { return this.root.querySelector('[data-note-id="' + CSS.escape(noteId) + '"]'); }

  /** Keyboard users land on "Cancel" of the delete confirmation, not on the destructive button. */
  focusCancelDelete(noteId) {
    const item = this.root.querySelector('[data-note-id="' + CSS.escape(noteId) + '"]');
    const buttons = item ? item.querySelectorAll('.confirm button') : [];
    if (buttons.length) buttons[buttons.length - 1].focus();
  }

  focusField(noteId, field) {
    const find = () => this.root.querySelector('[data-note-id="' + CSS.escape(noteId) + '"]');
    let item = find();
    if (!item && this.state) {
      // Not in the rendered slice: scroll to it and render its slice first.
      const index = this.listIds.indexOf(noteId);
      if (index < 0) return;
      this.window.reveal(index);
      this.render(this.state);
      item = find();
    }
    const control = item && item.querySelector(field === 'title' ? 'input' : 'textarea');
    if (control) control.focus();
  }

  /** The note whose card has the focus (kept rendered while it has it, so the caret stays). */
  focusedNote() {
    const active = this.document.activeElement;
    const card = active && active !== this.document.body && active.closest
      ? active.closest('li[data-note-id]')
      : null;
    return card && this.root.contains(card) ? card.dataset.noteId : null;
  }

  /** The notes of `ids` (in order) to render now, and the padding standing in for the rest. */
  windowOf(ids, noteOf) {
    this.listIds = ids;
    const { start, end, padTop, padBottom } = this.window.slice(ids.length);
    const picked = ids.slice(start, end);
    const focused = this.focusedNote();
    if (focused && noteOf(focused) && !picked.includes(focused)) {
      if (ids.indexOf(focused) < start) picked.unshift(focused);
      else picked.push(focused);
    }
    const notes = [];
    for (const id of picked) {
      const note = noteOf(id);
      if (note) notes.push(note);
    }
    return { notes, style: styleMap({ 'padding-top': padTop + 'px', 'padding-bottom': padBottom + 'px' }) };
  }

  /**
   * @param {import('./store.js').AppState} state
   */
  render(state) {
    if (this.rendering) {
      // A DOM event fired while lit was changing the DOM (a focused field removed
      // fires blur): render again once this render is done.
      this.queued = state;
      return;
    }
    this.rendering = true;
    try {
      if (!this.cleared) {
        this.root.replaceChildren(); // the server-rendered first paint
        this.cleared = true;
      }
      render(this.page(state), this.root);
      this.afterRender(state);
    } finally {
      this.rendering = false;
    }
    if (this.queued) {
      const next = this.queued;
      this.queued = null;
      this.render(next);
    }
  }

  /** The controls get their text (caret kept), others' carets are drawn, a note deleted
   * under the person's typing takes the focus to its offer. */
  afterRender(state) {
    this.state = state;
    this.window.measure(this.root.querySelector('ul.note-list'));
    for (const el of this.root.querySelectorAll('[data-field]')) {
      const note = row_of(state.shown, 'notes', el.dataset.note);
      if (!note) continue;
      this.fields.sync(el, note[el.dataset.field], state.coedit[keyOf(el.dataset.note, el.dataset.field)]);
    }
    this.drawCarets(state);
    for (const lost of state.lost) {
      if (this.lostSeen.has(lost.noteId)) continue;
      this.lostSeen.add(lost.noteId);
      const active = this.document.activeElement;
      if (!active || active === this.document.body || !this.root.contains(active)) {
        const offer = this.root.querySelector('[data-lost="' + CSS.escape(lost.noteId) + '"] button');
        if (offer) {
          offer.focus();
          this.offeredAt = Date.now();
        }
      }
    }
  }

  /** `moved`: the controls scrolled or changed size, so carets drawn before may be off. */
  drawCarets(state, moved = false) {
    for (const el of this.root.querySelectorAll('[data-field]')) {
      const carets = caretsOn(state.presence, el.dataset.note, el.dataset.field);
      this.fields.draw(el, el.parentElement.querySelector(':scope > .carets'), carets, moved);
    }
  }

  page(state) {
    const pendingIds = new Set([
      ...state.pending.filter((e) => e.confirmedSeq === null).map((e) => e.event.payload.id),
      ...unsentNotes(state.coedit),
    ]);
    return html`
      <header class="bar">
        <h1 class="brand">Flux Notes</h1>
        ${this.connection(state)}
        <div class="session">
          <span class="who">Signed in as <strong>${state.user.name}</strong>
            <span class="role">${state.user.role}</span></span>
          <form method="post" action="/logout"><button type="submit" class="quiet">Sign out</button></form>
        </div>
      </header>
      ${this.timeBar(state)}
      <main class="layout">
        ${state.timeMachine.past
          ? this.past(state)
          : this.present(state, pendingIds)}
        <aside class="events" aria-labelledby="events-heading">
          <h2 id="events-heading">Recent events</h2>
          ${state.recent.length === 0
            ? html`<p class="empty">Changes will appear here as they happen.</p>`
            : nothing}
          <ol class="event-list" aria-label="Recent events">
            ${guard([state.recent], () => repeat(state.recent, (line) => line.id, (line) => html`
              <li>
                <strong>${line.user}</strong> ${line.verb}
                ${line.title
                  ? html`<span class="note-title">“${line.title}”</span>`
                  : 'a new note'}${line.detail ? ' ' + line.detail : ''}
                <time datetime=${line.timestamp}>${clock(line.timestamp)}</time>
              </li>`))}
          </ol>
        </aside>
      </main>`;
  }

  present(state, pendingIds) {
    const found = searching(state) ? foundNotes(state) : null;
    const ids = found ? found.ids : this.order(state.shown);
    const noteOf = found ? (id) => found.byId[id] || null : (id) => row_of(state.shown, 'notes', id);
    const { notes, style } = this.windowOf(ids, noteOf);
    const rendered = new Set(notes.map((n) => n.id));
    const orphans = state.rejections.filter((r) => !rendered.has(r.noteId));
    const writable = this.writable(state);
    return html`
      <section class="notes" aria-labelledby="notes-heading">
        <div class="toolbar">
          <h2 id="notes-heading">Notes</h2>
          <button type="button" class="primary" ?disabled=${!writable}
            @click=${() => this.newNote()}>New note</button>
          ${this.deletedToggle(state)}
        </div>
        ${this.searchBox(state, found)}
        ${state.deleted.open ? this.deletedNotes(state) : nothing}
        ${state.user.role === 'viewer'
          ? html`<p class="hint">You are a viewer: you can read notes but not change them.</p>`
          : nothing}
        ${state.lost.map((lost) => this.lost(lost, state))}
        ${orphans.map((r) => this.rejection(r))}
        ${ids.length === 0 && state.loaded && !found
          ? html`<p class="empty">No notes yet. Press “New note” to write the first one.</p>`
          : nothing}
        <ul class="note-list" aria-label="Notes" style=${style}>
          ${repeat(notes, (note) => note.id, (note) => this.card(note, state, pendingIds.has(note.id), writable))}
        </ul>
      </section>`;
  }

  /** "Search notes": the box, and what the search found (the list below shows the notes). */
  searchBox(state, found) {
    const search = state.search;
    let said = '';
    if (found) {
      if (search.status === 'failed') said = search.error;
      else if (search.status === 'loading' && search.ids.length === 0) said = 'Searching…';
      else if (found.ids.length === 0) said = 'No notes match “' + search.query.trim() + '”.';
      else said = plural(found.ids.length, 'note', 'notes') + (search.next ? ' found so far' : ' found');
    }
    return html`
      <div class="search" role="search">
        <input type="search" id="search-notes" aria-label="Search notes" placeholder="Search notes"
          autocomplete="off" spellcheck="false" .value=${search.query}
          @input=${(e) => this.handlers.search(e.target.value)}>
        <p class="search-said ${found && found.ids.length === 0 ? 'empty' : ''}" aria-live="polite"
          data-results-for=${found && search.status === 'ready' ? search.query : ''}>${said}</p>
        ${found && search.next && search.status !== 'loading'
          ? html`<button type="button" class="quiet" @click=${() => this.handlers.moreResults()}>More results</button>`
          : nothing}
      </div>`;
  }

  /** The "Time machine" slider: in seqs until the visible events are loaded, then in positions. */
  timeBar(state) {
    const tm = state.timeMachine;
    const ready = tm.status === 'ready';
    const max = ready ? tm.events.length : state.seq;
    const value = ready ? (tm.position ?? max) : (tm.askedSeq ?? max);
    let where = 'Now';
    if (tm.status === 'loading') where = 'Loading the event log…';
    else if (tm.status === 'failed') where = tm.error;
    else if (tm.past) where = tm.position === 0 ? 'Before the first event' : `Event ${tm.position} of ${max}`;
    const spoken = tm.past && tm.line
      ? `${where}: ${tm.line.user} ${tm.line.verb} ${tm.line.title ? '“' + tm.line.title + '”' : 'a new note'}`
      : where;
    return html`
      <section class="time-bar ${tm.past ? 'in-past' : ''}" aria-label="Time machine"
        @keydown=${(e) => e.key === 'Escape' && tm.past && this.handlers.backToNow()}>
        <label for="time-machine" class="time-label">Time machine</label>
        <input type="range" id="time-machine" min="0" max=${max} step="1" .value=${String(value)}
          aria-valuetext=${spoken} ?disabled=${max === 0}
          @input=${(e) => this.handlers.timeMachine(Number(e.target.value))}>
        <span class="time-where" aria-hidden="true">${where}</span>
      </section>`;
  }

  /** The notes as they were at the slider's event: read-only, restore what is gone now. */
  past(state) {
    const tm = state.timeMachine;
    const line = tm.line;
    const ids = this.pastOrder(tm.past);
    const { notes, style } = this.windowOf(ids, (id) => row_of(tm.past, 'notes', id));
    return html`
      <section class="notes past" aria-labelledby="past-heading"
        @keydown=${(e) => e.key === 'Escape' && this.handlers.backToNow()}>
        <div class="past-banner">
          <div class="past-what">
            <h2 id="past-heading">The past (read-only)</h2>
            <p>${line
              ? html`As it was after <strong>${line.user}</strong> ${line.verb}
                  ${line.title ? html`<span class="note-title">“${line.title}”</span>` : 'a new note'},
                  <time datetime=${line.timestamp}>${moment(line.timestamp)}</time>
                  (event ${tm.position} of ${tm.events.length}).`
              : 'Before the first event: there were no notes yet.'}</p>
          </div>
          <button type="button" class="primary" @click=${() => this.handlers.backToNow()}>Back to now</button>
        </div>
        ${ids.length === 0 ? html`<p class="empty">No notes at this point.</p>` : nothing}
        <ul class="note-list" aria-label="Notes as they were" style=${style}>
          ${repeat(notes, (note) => note.id, (note) => {
            const goneNow = !row_of(state.shown, 'notes', note.id);
            return guard([note, goneNow, state.user], () => this.pastNote(note, state, goneNow));
          })}
        </ul>
      </section>`;
  }

  pastNote(note, state, goneNow) {
    const title = note.title || 'Untitled';
    const edited = note.updatedBy && note.updatedAt !== note.createdAt
      ? html` · edited by ${note.updatedBy}`
      : nothing;
    return html`
      <li class="note past ${goneNow ? 'gone' : ''} ${isConflictCopy(note.id) ? 'conflict' : ''}"
        aria-label=${'Note: ' + title}>
        <h3 class="past-title">${title}</h3>
        <p class="past-text">${note.text}</p>
        <div class="meta">
          <span>by ${note.author}${edited}</span>
          ${note.private ? html`<span class="badge private">Private</span>` : nothing}
          ${goneNow ? html`<span class="badge deleted">Deleted now</span>` : nothing}
          ${goneNow && mayRestore(state.user, note)
            ? html`<button type="button" @click=${() => this.handlers.restore(note, true)}>Restore</button>`
            : nothing}
        </div>
      </li>`;
  }

  deletedToggle(state) {
    return html`
      <button type="button" class="quiet" aria-controls="deleted-notes"
        aria-expanded=${state.deleted.open ? 'true' : 'false'}
        @click=${() => this.handlers.toggleDeleted()}>Deleted notes</button>`;
  }

  /** The deleted notes this user may see, with "Restore" where the policy allows it. */
  deletedNotes(state) {
    const deleted = state.deleted;
    const entries = deleted.entries.filter((entry) => !row_of(state.shown, 'notes', entry.row.id));
    const why = state.user.role === 'viewer'
      ? 'Viewers cannot restore notes.'
      : (row) => 'Only its author' + (row.private ? '' : ' or an admin') + ' can restore it.';
    return html`
      <section class="deleted-notes" id="deleted-notes" aria-labelledby="deleted-heading"
        @keydown=${(e) => e.key === 'Escape' && this.handlers.toggleDeleted()}>
        <h3 id="deleted-heading">Deleted notes</h3>
        ${deleted.status === 'loading' && entries.length === 0 ? html`<p class="hint">Loading…</p>` : nothing}
        ${deleted.status === 'failed' ? html`<p class="rejection" role="alert">${deleted.error}</p>` : nothing}
        ${deleted.status === 'ready' && entries.length === 0
          ? html`<p class="empty">No deleted notes.</p>`
          : nothing}
        <ul class="deleted-list" aria-label="Deleted notes">
          ${repeat(entries, (entry) => entry.row.id, (entry) => html`
            <li aria-label=${'Deleted note: ' + (entry.row.title || 'Untitled')}>
              <div class="deleted-what">
                <strong>${entry.row.title || 'Untitled'}</strong>
                ${entry.row.private ? html`<span class="badge private">Private</span>` : nothing}
                <span class="excerpt">${entry.row.text}</span>
                <span class="when">deleted by ${(entry.event.meta && entry.event.meta.user) || 'someone'},
                  <time datetime=${entry.event.timestamp}>${moment(entry.event.timestamp)}</time></span>
              </div>
              ${entry.restorable
                ? html`<button type="button" @click=${() => this.handlers.restore(entry.row, false)}>Restore</button>`
                : html`<span class="hint">${typeof why === 'string' ? why : why(entry.row)}</span>`}
            </li>`)}
        </ul>
      </section>`;
  }

  connection(state) {
    const unsynced = unsyncedCount(state.pending) + unsentCount(state.coedit);
    return html`
      <p class="connection ${STATUS_CLASS[state.connection] || 'connecting'}" role="status">
        <span class="dot" aria-hidden="true"></span>
        <span class="state">${state.connection}</span>${unsynced > 0
          ? html`<span class="unsynced"> · ${plural(unsynced, 'unsynced change', 'unsynced changes')}</span>`
          : nothing}
      </p>
      ${state.refused
        ? html`<p class="refused" role="alert">
            ${state.refused} Your changes stay here until then:
            <a href="/login" target="_blank" rel="noopener">sign in again</a>.
          </p>`
        : nothing}`;
  }

  /** May this person write now?  (Not before the page has every note: see app.js.) */
  writable(state) {
    return mayWrite(state.user) && state.loaded !== false;
  }

  /** A note's card, rendered again only when something it shows changed (keyed rendering:
   * an event re-renders the cards of the notes it touched, not the whole list). */
  card(note, state, unsynced, writable) {
    const rejections = state.rejections.filter((r) => r.noteId === note.id);
    const others = othersOn(state.presence, note.id).join('\n');
    const confirming = state.confirmingDelete === note.id;
    return guard(
      [note, state.user, unsynced, writable, confirming, others, rejections.map((r) => r.id).join('\n')],
      () => this.note(note, state, unsynced),
    );
  }

  note(note, state, unsynced) {
    const title = note.title;
    const name = 'Note: ' + (title || 'Untitled');
    const rejections = state.rejections.filter((r) => r.noteId === note.id);
    const edited = note.updatedBy && note.updatedAt !== note.createdAt
      ? html` · edited by ${note.updatedBy} <time datetime=${note.updatedAt}>${clock(note.updatedAt)}</time>`
      : nothing;
    const others = othersOn(state.presence, note.id);
    return html`
      <li class="note ${isConflictCopy(note.id) ? 'conflict' : ''}" data-note-id=${note.id} aria-label=${name}
        @focusout=${(e) => this.leftNote(note.id, e)}>
        ${this.field(note, 'title', 'Title', state)}
        ${this.field(note, 'text', 'Text', state)}
        ${others.length
          ? html`<div class="here" role="group" aria-label="Also here">${others.map(
              (user) => html`<span class="who-else" style=${styleMap({ '--who': colourOf(user) })}>${user}</span> `,
            )}<span class="here-hint">${others.length === 1 ? 'is here' : 'are here'}</span></div>`
          : nothing}
        <div class="meta">
          <span>by ${note.author}${edited}</span>
          ${mayChangePrivacy(state.user, note)
            ? html`<label class="toggle"><input type="checkbox" .checked=${Boolean(note.private)}
                @change=${(e) => this.handlers.privacy(note.id, e.target.checked)}> Private</label>`
            : note.private ? html`<span class="badge private">Private</span>` : nothing}
          ${isConflictCopy(note.id) ? html`<span class="badge conflict">Conflict copy</span>` : nothing}
          ${unsynced ? html`<span class="badge unsynced">Unsynced</span>` : nothing}
          ${mayRemove(state.user, note)
            ? html`<span id=${'about-' + note.id} hidden>${title || 'Untitled'}</span>
              <button type="button" class="danger quiet" aria-describedby=${'about-' + note.id}
                @click=${() => this.handlers.askDelete(note.id)}>Delete</button>`
            : nothing}
        </div>
        ${state.confirmingDelete === note.id
          ? html`
            <div class="confirm" role="group" aria-label="Confirm delete"
              @keydown=${(e) => e.key === 'Escape' && this.handlers.cancelDelete()}>
              <span>Delete “${title || 'Untitled'}” for everyone?</span>
              <button type="button" class="danger" @click=${() => this.handlers.confirmDelete(note.id)}>Yes, delete</button>
              <button type="button" @click=${() => this.handlers.cancelDelete()}>Cancel</button>
            </div>`
          : nothing}
        ${rejections.map((r) => this.rejection(r))}
      </li>`;
  }

  /** The Title or Text control: its value and caret are kept by `this.fields` (fields.js),
   * not by lit, so a re-render never moves the caret. */
  field(note, field, caption, state) {
    const f = this.fields;
    const readOnly = !this.writable(state);
    const events = {
      input: (e) => f.onInput(e.target, e),
      compositionstart: (e) => f.onCompositionStart(e.target),
      compositionend: (e) => f.onCompositionEnd(e.target),
      caret: (e) => f.onCaret(e.target),
      scroll: () => this.state && this.drawCarets(this.state, true),
      blur: () => {
        this.handlers.leaveField(note.id, field);
        // After the focus has moved (blur comes first): where is the caret now?
        setTimeout(() => this.reportFocus(), 0);
      },
    };
    const id = field + '-' + note.id;
    const control = field === 'title'
      ? html`<input type="text" id=${id} class="title" placeholder="Untitled" maxlength=${MAX_TITLE}
          data-note=${note.id} data-field="title" ?readonly=${readOnly}
          @input=${events.input} @compositionstart=${events.compositionstart}
          @compositionend=${events.compositionend} @focus=${events.caret} @select=${events.caret}
          @keyup=${events.caret} @mouseup=${events.caret} @scroll=${events.scroll} @blur=${events.blur}>`
      : html`<textarea id=${id} class="text" rows="4" placeholder="Write something…"
          data-note=${note.id} data-field="text" ?readonly=${readOnly}
          @input=${events.input} @compositionstart=${events.compositionstart}
          @compositionend=${events.compositionend} @focus=${events.caret} @select=${events.caret}
          @keyup=${events.caret} @mouseup=${events.caret} @scroll=${events.scroll} @blur=${events.blur}></textarea>`;
    return html`
      <div class="field">
        <label class="caption" for=${id}>${caption}</label>
        <div class="field-box">${control}<div class="carets"></div></div>
      </div>`;
  }

  /** Tell the controller where the caret is after a blur (in another field, or nowhere). */
  reportFocus() {
    const active = this.document.activeElement;
    if (active && active.dataset && active.dataset.field && this.root.contains(active)) {
      this.fields.onCaret(active);
    } else {
      this.handlers.caret(null);
    }
  }

  /** A note deleted while this person was typing in it: their text, and what to do with it. */
  lost(lost, state) {
    // The offer takes the focus from a field that vanished under the typing: the next few
    // keystrokes (a space, Enter) must not press its buttons (a real click still does).
    const act = (fn) => (e) => {
      if (e.detail === 0 && Date.now() - (this.offeredAt || 0) < KEYS_IGNORED_MS) return;
      fn();
    };
    const restorable = mayRestore(state.user, { id: lost.noteId, author: lost.author, private: lost.private });
    const title = lost.title || 'Untitled';
    return html`
      <div class="lost" role="group" aria-label=${'Deleted while you were typing: ' + title} data-lost=${lost.noteId}>
        <p><strong>${lost.deletedBy}</strong> deleted “${title}” while you were typing in it.
          Your text is kept here:</p>
        <blockquote class="lost-text">${lost.text || '(no text)'}</blockquote>
        <div class="lost-actions">
          ${restorable
            ? html`<button type="button" class="primary" @click=${act(() => this.handlers.keepLost(lost, 'restore'))}>Restore with my changes</button>`
            : nothing}
          <button type="button" class=${restorable ? '' : 'primary'} @click=${act(() => this.handlers.keepLost(lost, 'copy'))}>Keep my text as a new note</button>
          <button type="button" class="quiet" @click=${act(() => this.handlers.dismissLost(lost.noteId))}>Discard</button>
        </div>
      </div>`;
  }

  rejection(rejection) {
    return html`
      <div class="rejection" role="alert">
        <span><strong>${rejection.what}</strong> was undone: ${rejection.reason}</span>
        <button type="button" class="quiet" @click=${() => this.handlers.dismiss(rejection.id)}>Dismiss</button>
      </div>`;
  }

  /** The focus left the note's item (not moved inside it): tell the controller. */
  leftNote(noteId, event) {
    if (leftElement(event) && this.handlers.leaveNote) this.handlers.leaveNote(noteId);
  }

  newNote() {
    this.handlers.newNote(false); // a new note is shared until its own "Private" is ticked
  }
}
