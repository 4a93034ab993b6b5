"""Redux DevTools: the page hands the extension a real Redux store and a state
sanitizer, so the notes show as plain {id: row} objects rather than the
structurally shared trie the store keeps them in (shared_reducers/memory.py).

The extension cannot be installed here, so a stand-in with the extension's API
(`window.__REDUX_DEVTOOLS_EXTENSION__(options)` returning a store enhancer)
records what the page gives it."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from e2e.notes_page import create_note, note, wait_synced

SignIn = Callable[..., Page]

STAND_IN = """
window.__REDUX_DEVTOOLS_EXTENSION__ = (options) => {
  window.__devtools = { options, actions: 0 };
  return (createStore) => (reducer, preloaded, enhancer) => {
    const store = createStore(reducer, preloaded, enhancer);
    window.__devtools.store = store;
    store.subscribe(() => { window.__devtools.actions += 1; });
    return store;
  };
};
"""

SEEN = """() => {
  const { options, store, actions } = window.__devtools;
  const raw = store.getState();
  const shown = options.stateSanitizer(raw).shown;
  return {
    name: options.name,
    actions,
    rawIsTrie: Array.isArray(raw.shown.notes),
    titles: Object.values(shown.notes).map((row) => row.title).sort(),
    keyed: Object.entries(shown.notes).every(([id, row]) => row.id === id),
    pastPlain: raw.timeMachine.past === null
      || !Array.isArray(options.stateSanitizer(raw).timeMachine.past.notes),
  };
}"""


def test_redux_devtools_get_the_store_and_show_the_notes_as_plain_rows(sign_in: SignIn) -> None:
    ada = sign_in("ada")
    create_note(ada, "Groceries", "milk")
    create_note(ada, "Trip", "tickets")
    wait_synced(ada)
    ada.add_init_script(STAND_IN)
    ada.reload()
    expect(note(ada, "Trip")).to_be_visible()
    create_note(ada, "Books", "")
    wait_synced(ada)
    seen = ada.evaluate(SEEN)
    assert seen["name"] == "Flux Notes"
    assert seen["actions"] > 0  # the real store's dispatches went through the enhancer
    assert seen["rawIsTrie"] is True  # what the sanitizer is for
    assert seen["titles"] == ["Books", "Groceries", "Trip"]
    assert seen["keyed"] is True
    # the time machine's past (shared form too) is shown plain as well
    slider = ada.get_by_role("slider", name="Time machine")
    slider.focus()
    ada.keyboard.press("ArrowLeft")
    expect(ada.get_by_role("button", name="Back to now")).to_be_visible()
    assert ada.evaluate(SEEN)["pastPlain"] is True
    assert ada.evaluate(
        "() => Object.keys(window.__devtools.options.stateSanitizer("
        "window.__devtools.store.getState()).timeMachine.past.notes).length"
    ) in (2, 3)
